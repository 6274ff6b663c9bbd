export function money(m) {
  if (!m) return "";
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: m.currency }).format(m.amount / 100);
  } catch {
    return `${(m.amount / 100).toFixed(2)} ${m.currency}`;
  }
}

export function count(n, one, many = `${one}s`) {
  return `${Number(n).toLocaleString("en")} ${n === 1 ? one : many}`;
}

export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });
}

export function statusLabel(value) {
  return (value || "").toLowerCase().replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
}
