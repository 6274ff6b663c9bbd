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

export function bytes(n) {
  if (n == null) return "";
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** "1200 × 900 px · 240 KB · JPEG" for an ImageFile. */
export function fileFacts(file) {
  if (!file) return "";
  return [`${file.width} × ${file.height} px`, bytes(file.bytes), file.format].filter(Boolean).join(" · ");
}
