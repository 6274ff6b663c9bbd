import { useRef, useState } from "preact/hooks";
import { gql, mutate } from "../api.js";
import { Heading, Alert, useApp, useLoad, errorText } from "../ui.jsx";
import { QuoteTable } from "./quote.jsx";
import { rememberSpec } from "./cart.jsx";
import { statusLabel } from "../format.js";

export function SpecsScreen() {
  const specs = useLoad(() => gql("Specifications"), []);
  const list = specs.data ? specs.data.specifications : [];
  return (
    <section>
      <Heading>Specifications</Heading>
      <p>A specification says how images are edited: background, crop, margins, size, formats and more.</p>
      <Alert message={specs.error} />
      <p><a class="button primary" href="#/specs/new">New specification</a></p>
      {specs.data && list.length === 0 && <p>No specifications yet.</p>}
      <ul class="spec-list" aria-label="Specifications">
        {list.map((s) => (
          <li key={s.id} class="card">
            <h2>{s.name}</h2>
            <p class="hint">Version {s.currentVersion.number} · {summary(s.currentVersion.options)}</p>
            <a href={`#/specs/${encodeURIComponent(s.id)}`} aria-label={`Edit ${s.name}`}>Edit</a>
          </li>
        ))}
      </ul>
    </section>
  );
}

function summary(o) {
  return [`${statusLabel(o.background.kind)} background`, o.crop.kind !== "NONE" && `${statusLabel(o.crop.kind)} crop`,
    o.formats.join("/"), o.retouch !== "NONE" && `${statusLabel(o.retouch)} retouch`, statusLabel(o.turnaround)].filter(Boolean).join(" · ");
}

const DEFAULTS = {
  name: "",
  background: { kind: "WHITE", colour: "" },
  crop: { kind: "NONE", aspectWidth: "", aspectHeight: "", width: "", height: "" },
  margins: { unit: "PERCENT", top: 0, right: 0, bottom: 0, left: 0 },
  alignment: "CENTRE",
  size: { mode: "ORIGINAL", width: "", height: "" },
  formats: ["JPEG"], quality: 90, maxFileBytes: "", dpi: 72, colourProfile: "SRGB", shadow: "NONE",
  keepOriginalShadow: false, retouch: "NONE", clippingPath: false, turnaround: "STANDARD",
};

const blank = (v) => (v === null || v === undefined ? "" : v);
function fromSpec(spec) {
  const o = spec.currentVersion.options;
  return {
    name: spec.name,
    background: { kind: o.background.kind, colour: blank(o.background.colour) },
    crop: { kind: o.crop.kind, aspectWidth: blank(o.crop.aspectWidth), aspectHeight: blank(o.crop.aspectHeight), width: blank(o.crop.width), height: blank(o.crop.height) },
    margins: { ...o.margins },
    alignment: o.alignment,
    size: { mode: o.size.mode, width: blank(o.size.width), height: blank(o.size.height) },
    formats: [...o.formats], quality: o.quality, maxFileBytes: blank(o.maxFileBytes), dpi: o.dpi, colourProfile: o.colourProfile,
    shadow: o.shadow, keepOriginalShadow: o.keepOriginalShadow, retouch: o.retouch, clippingPath: o.clippingPath, turnaround: o.turnaround,
  };
}

const num = (v) => (v === "" || v === null || v === undefined ? null : Number(v));

/** The SpecificationInput of the form: options that do not apply to the chosen kind are left out. */
function toInput(f) {
  return {
    name: f.name,
    background: { kind: f.background.kind, colour: f.background.kind === "COLOUR" ? f.background.colour || null : null },
    crop: {
      kind: f.crop.kind,
      aspectWidth: f.crop.kind === "ASPECT" ? num(f.crop.aspectWidth) : null,
      aspectHeight: f.crop.kind === "ASPECT" ? num(f.crop.aspectHeight) : null,
      width: f.crop.kind === "EXACT" ? num(f.crop.width) : null,
      height: f.crop.kind === "EXACT" ? num(f.crop.height) : null,
    },
    margins: { unit: f.margins.unit, top: num(f.margins.top) ?? 0, right: num(f.margins.right) ?? 0, bottom: num(f.margins.bottom) ?? 0, left: num(f.margins.left) ?? 0 },
    alignment: f.alignment,
    size: { mode: f.size.mode, width: f.size.mode === "ORIGINAL" ? null : num(f.size.width), height: f.size.mode === "ORIGINAL" ? null : num(f.size.height) },
    formats: f.formats, quality: num(f.quality), maxFileBytes: num(f.maxFileBytes), dpi: num(f.dpi),
    colourProfile: f.colourProfile, shadow: f.shadow, keepOriginalShadow: f.keepOriginalShadow, retouch: f.retouch,
    clippingPath: f.clippingPath, turnaround: f.turnaround,
  };
}

const OPTIONS = {
  background: [["WHITE", "White"], ["TRANSPARENT", "Transparent"], ["COLOUR", "A colour"], ["KEEP", "Keep as it is"]],
  crop: [["NONE", "No crop"], ["TRIM", "Trim to the product"], ["ASPECT", "Aspect ratio"], ["EXACT", "Exact size"]],
  unit: [["PERCENT", "Percent"], ["PX", "Pixels"]],
  alignment: [["CENTRE", "Centre"], ["TOP", "Top"], ["BOTTOM", "Bottom"]],
  sizeMode: [["ORIGINAL", "Keep the original size"], ["MAX", "Fit within"], ["CANVAS", "Exact canvas"]],
  colourProfile: [["SRGB", "sRGB"], ["ADOBE_RGB", "Adobe RGB"]],
  shadow: [["NONE", "None"], ["DROP", "Drop shadow"], ["REFLECTION", "Reflection"]],
  retouch: [["NONE", "None"], ["BASIC", "Basic"], ["ADVANCED", "Advanced"]],
  turnaround: [["STANDARD", "Standard"], ["EXPRESS", "Express"]],
};

export function SpecEditorScreen({ id }) {
  const { store, notify, route } = useApp();
  const fromCart = route.path.includes("from=cart");
  const loaded = useLoad(async () => {
    if (!id) return null;
    const data = await gql("Specifications");
    return data.specifications.find((s) => s.id === id) || null;
  }, [id]);
  if (id && loaded.loading && !loaded.data) return <section><Heading>Edit specification</Heading><p>Loading…</p></section>;
  if (id && !loaded.data) return <section><Heading>Edit specification</Heading><Alert message={loaded.error || "This specification does not exist (or was deleted)."} /></section>;
  return <SpecEditor spec={loaded.data} store={store} notify={notify} fromCart={fromCart} />;
}

function SpecEditor({ spec: initialSpec, store, notify, fromCart }) {
  const [spec, setSpec] = useState(initialSpec);
  const [form, setForm] = useState(initialSpec ? fromSpec(initialSpec) : DEFAULTS);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState("");
  const [dirty, setDirty] = useState(false);

  const cart = useLoad(() => gql("CartView", { storeId: store.id, first: 1 }), [store.id]);
  const imageCount = cart.data ? Math.max(cart.data.cart.imageCount, 1) : null;
  // The live price: the form as it is now, validated and priced by the server (nothing saved),
  // a moment after the last change; an answer that a newer change overtook is dropped by useLoad.
  const input = toInput(form);
  const inputKey = JSON.stringify(input);
  const previewSeq = useRef(0);
  const preview = useLoad(async () => {
    if (!imageCount) return null;
    const mine = ++previewSeq.current;
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (mine !== previewSeq.current) return null;
    return (await gql("PriceQuotePreview", { input, imageCount })).priceQuotePreview;
  }, [inputKey, imageCount]);
  const quote = preview.data && preview.data.quote;
  const problems = (preview.data && preview.data.errors) || [];

  const set = (path, value) => {
    setDirty(true);
    setForm((f) => {
      const [a, b] = path.split(".");
      return b ? { ...f, [a]: { ...f[a], [b]: value } } : { ...f, [a]: value };
    });
  };
  const err = (path) => errors[path];
  const a11y = (path) => ({
    "aria-invalid": err(path) ? "true" : undefined,
    "aria-describedby": err(path) ? `err-${path.replace(/\./g, "-")}` : undefined,
  });
  const ErrorFor = ({ path }) => (err(path) ? <small class="field-error" id={`err-${path.replace(/\./g, "-")}`}>{err(path)}</small> : null);

  const Select = ({ path, label, options }) => {
    const idv = `spec-${path.replace(/\./g, "-")}`;
    const [a, b] = path.split(".");
    const value = b ? form[a][b] : form[a];
    return (
      <div class="field">
        <label for={idv}>{label}</label>
        <select id={idv} value={value} onChange={(e) => set(path, e.currentTarget.value)} {...a11y(path)}>
          {options.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
        </select>
        {ErrorFor({ path: path })}
      </div>
    );
  };
  const Num = ({ path, label, step = "1", min, max }) => {
    const idv = `spec-${path.replace(/\./g, "-")}`;
    const [a, b] = path.split(".");
    const value = b ? form[a][b] : form[a];
    return (
      <div class="field">
        <label for={idv}>{label}</label>
        <input id={idv} type="number" step={step} min={min} max={max} value={value} onInput={(e) => set(path, e.currentTarget.value)} {...a11y(path)} />
        {ErrorFor({ path: path })}
      </div>
    );
  };
  const Check = ({ path, label }) => {
    const idv = `spec-${path}`;
    return (
      <div class="field check">
        <input id={idv} type="checkbox" checked={form[path]} onChange={(e) => set(path, e.currentTarget.checked)} {...a11y(path)} />
        <label for={idv}>{label}</label>
        {ErrorFor({ path: path })}
      </div>
    );
  };

  const save = async (event) => {
    event.preventDefault();
    setBusy(true); setErrors({}); setFailure("");
    try {
      const input = toInput(form);
      const payload = spec
        ? await mutate("SpecificationUpdate", { id: spec.id, input }, "specificationUpdate")
        : await mutate("SpecificationCreate", { input }, "specificationCreate");
      if (payload.errors.length) {
        const byPath = {};
        const loose = [];
        for (const e of payload.errors) {
          const path = (e.field || "").replace(/^input\./, "");
          if (path) byPath[path] = byPath[path] ? `${byPath[path]} ${e.message}` : e.message; else loose.push(e.message);
        }
        setErrors(byPath);
        setFailure(loose.length ? loose.join(" ") : "Please correct the highlighted fields.");
        const first = document.querySelector("[aria-invalid=true]");
        if (first) first.focus();
        return;
      }
      const saved = payload.specification;
      setSpec(saved);
      setForm(fromSpec(saved));
      setDirty(false);
      rememberSpec(saved.id);
      notify(`Specification “${saved.name}” saved (version ${saved.currentVersion.number}).`);
      if (fromCart) location.hash = "#/cart";
      else if (!spec) history.replaceState(null, "", `#/specs/${encodeURIComponent(saved.id)}`);
    } catch (e) { setFailure(e.message); } finally { setBusy(false); }
  };

  const f = form;
  return (
    <section class="spec-editor">
      <Heading>{spec ? "Edit specification" : "New specification"}</Heading>
      {spec && spec.currentVersion.locked && <p class="note">Paid orders use this version: saving makes a new version; those orders keep theirs.</p>}
      <div class="spec-layout">
        <form aria-label="Specification" onSubmit={save} noValidate>
          <div class="field">
            <label for="spec-name">Name</label>
            <input id="spec-name" type="text" value={f.name} onInput={(e) => set("name", e.currentTarget.value)} {...a11y("name")} required />
            {ErrorFor({ path: "name" })}
          </div>
          <fieldset><legend>Background</legend>
            {Select({ path: "background.kind", label: "Background", options: OPTIONS.background })}
            {f.background.kind === "COLOUR" && (
              <div class="field">
                <label for="spec-background-colour">Background colour</label>
                <input id="spec-background-colour" type="text" placeholder="#F5F5F5" value={f.background.colour}
                  onInput={(e) => set("background.colour", e.currentTarget.value)} {...a11y("background.colour")} />
                {ErrorFor({ path: "background.colour" })}
              </div>
            )}
          </fieldset>
          <fieldset><legend>Crop</legend>
            {Select({ path: "crop.kind", label: "Crop", options: OPTIONS.crop })}
            {f.crop.kind === "ASPECT" && <div class="field-row">{Num({ path: "crop.aspectWidth", label: "Aspect width", min: "1", max: "100" })}{Num({ path: "crop.aspectHeight", label: "Aspect height", min: "1", max: "100" })}</div>}
            {f.crop.kind === "EXACT" && <div class="field-row">{Num({ path: "crop.width", label: "Crop width" })}{Num({ path: "crop.height", label: "Crop height" })}</div>}
          </fieldset>
          <fieldset><legend>Margins and alignment</legend>
            {Select({ path: "margins.unit", label: "Margin unit", options: OPTIONS.unit })}
            <div class="field-row">
              {Num({ path: "margins.top", label: "Top margin", step: "any", min: "0" })}
              {Num({ path: "margins.right", label: "Right margin", step: "any", min: "0" })}
              {Num({ path: "margins.bottom", label: "Bottom margin", step: "any", min: "0" })}
              {Num({ path: "margins.left", label: "Left margin", step: "any", min: "0" })}
            </div>
            {Select({ path: "alignment", label: "Alignment", options: OPTIONS.alignment })}
          </fieldset>
          <fieldset><legend>Output</legend>
            {Select({ path: "size.mode", label: "Output size", options: OPTIONS.sizeMode })}
            {f.size.mode !== "ORIGINAL" && <div class="field-row">{Num({ path: "size.width", label: "Output width" })}{Num({ path: "size.height", label: "Output height" })}</div>}
            <fieldset class="inline" aria-describedby={err("formats") ? "err-formats" : undefined}><legend>Formats</legend>
              {["JPEG", "PNG", "WEBP", "TIFF"].map((fmt) => (
                <span key={fmt} class="check">
                  <input id={`spec-format-${fmt}`} type="checkbox" checked={f.formats.includes(fmt)}
                    onChange={(e) => set("formats", e.currentTarget.checked ? [...f.formats, fmt] : f.formats.filter((x) => x !== fmt))} />
                  <label for={`spec-format-${fmt}`}>{fmt}</label>
                </span>
              ))}
              {ErrorFor({ path: "formats" })}
            </fieldset>
            <div class="field-row">
              {Num({ path: "quality", label: "Quality", min: "1", max: "100" })}
              {Num({ path: "maxFileBytes", label: "Max file size (bytes)", min: "10000" })}
              {Num({ path: "dpi", label: "DPI", min: "72", max: "1200" })}
            </div>
            {Select({ path: "colourProfile", label: "Colour profile", options: OPTIONS.colourProfile })}
          </fieldset>
          <fieldset><legend>Retouching</legend>
            {Select({ path: "shadow", label: "Shadow", options: OPTIONS.shadow })}
            {Check({ path: "keepOriginalShadow", label: "Keep original shadow" })}
            {Select({ path: "retouch", label: "Retouch", options: OPTIONS.retouch })}
            {Check({ path: "clippingPath", label: "Clipping path" })}
            {Select({ path: "turnaround", label: "Turnaround", options: OPTIONS.turnaround })}
          </fieldset>
          <Alert message={failure} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>Save specification</button>
            <a href={fromCart ? "#/cart" : "#/specs"}>{fromCart ? "Back to the cart" : "Back to specifications"}</a>
          </div>
        </form>
        <aside class="card price" aria-label="Price">
          <h2>Price</h2>
          {quote && <QuoteTable quote={quote} caption={`Price for ${quote.imageCount} ${quote.imageCount === 1 ? "image" : "images"}`} />}
          {problems.length > 0 && (
            <div role="status">
              <p>No price while these need a change:</p>
              <ul aria-label="Problems">{problems.map((e) => <li key={`${e.field}-${e.message}`}>{e.message}</li>)}</ul>
            </div>
          )}
          {dirty && quote && <p class="hint">The price of the options as they are now; save to keep them.</p>}
          <Alert message={preview.error} />
        </aside>
      </div>
    </section>
  );
}
