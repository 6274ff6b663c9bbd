import { useEffect, useState, useRef } from "preact/hooks";
import { gql, mutate } from "../api.js";
import { Heading, Alert, useApp, useLoad, errorText, Thumb, useId } from "../ui.jsx";
import { count } from "../format.js";

const PAGE = 48;
const SORTS = [
  ["PRODUCT_NAME:ASC", "Product name (A–Z)"],
  ["PRODUCT_NAME:DESC", "Product name (Z–A)"],
  ["MODIFIED_AT:DESC", "Recently changed"],
  ["SIZE:DESC", "Widest first"],
  ["SIZE:ASC", "Narrowest first"],
  ["FILE_BYTES:DESC", "Largest files first"],
  ["ID:ASC", "Store order"],
];
const BACKGROUNDS = { WHITE: "White", TRANSPARENT: "Transparent", LIGHT_UNIFORM: "Light plain", OTHER: "Other" };
const NOT_ANALYSED = "UNKNOWN"; // facet value of images not analysed yet: counted, not a filter
const SIZES = { [NOT_ANALYSED]: "Not analysed yet", UNDER_500: "Under 500 px", "500_999": "500–999 px", "1000_1999": "1000–1999 px", "2000_PLUS": "2000 px and more" };
const EMPTY = { search: "", background: [], formats: [], brand: [], minWidth: "", maxWidth: "", edited: "" };

/** The GraphQL ImageFilter of the left column (empty parts left out); ``without`` drops one group. */
function toFilter(f, without) {
  const out = {};
  if (f.search.trim()) out.search = f.search.trim();
  if (f.background.length && without !== "background") out.background = f.background;
  if (f.formats.length && without !== "formats") out.formats = f.formats;
  if (f.brand.length && without !== "brand") out.brand = f.brand;
  if (f.minWidth !== "" && !Number.isNaN(Number(f.minWidth))) out.minWidth = Number(f.minWidth);
  if (f.maxWidth !== "" && !Number.isNaN(Number(f.maxWidth))) out.maxWidth = Number(f.maxWidth);
  if (f.edited !== "") out.edited = f.edited === "yes";
  return Object.keys(out).length ? out : null;
}

export function ImagesScreen() {
  const { store, notify } = useApp();
  const [filters, setFilters] = useState(EMPTY);
  const [search, setSearch] = useState("");
  const [sort, setSort] = useState("PRODUCT_NAME:ASC");
  const [selected, setSelected] = useState(() => new Map());
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [pages, setPages] = useState({ edges: [], pageInfo: null, totalCount: null, loading: true });
  const [cartCount, setCartCount] = useState(null);

  // search typed: applied after a short pause
  useEffect(() => {
    const t = setTimeout(() => setFilters((f) => (f.search === search ? f : { ...f, search })), 300);
    return () => clearTimeout(t);
  }, [search]);

  const filter = toFilter(filters);
  const filterKey = JSON.stringify(filter);
  const [field, direction] = sort.split(":");
  const seq = useRef(0);

  const loadPage = async (after) => {
    const mine = after ? seq.current : ++seq.current;
    if (!after) setPages((p) => ({ ...p, loading: true }));
    try {
      const data = await gql("Images", { storeId: store.id, filter, sort: { field, direction }, first: PAGE, after });
      if (mine !== seq.current) return;
      const conn = data.images;
      setPages((p) => ({ edges: after ? [...p.edges, ...conn.edges] : conn.edges, pageInfo: conn.pageInfo, totalCount: conn.totalCount, loading: false }));
      setError("");
    } catch (e) { if (mine === seq.current) { setError(e.message); setPages((p) => ({ ...p, loading: false })); } }
  };
  useEffect(() => { loadPage(null); }, [filterKey, sort, store.id]);

  const facets = useLoad(() => gql("ImageFacetCounts", {
    storeId: store.id, forBackground: toFilter(filters, "background"), forFormat: toFilter(filters, "formats"),
    forBrand: toFilter(filters, "brand"), all: filter,
  }), [filterKey, store.id]);

  const refreshCart = async () => {
    try { const data = await gql("CartView", { storeId: store.id, first: 1 }); setCartCount(data.cart.imageCount); } catch { /* shown on the cart */ }
  };
  useEffect(() => { refreshCart(); }, [store.id]);

  const toggle = (image) => setSelected((s) => {
    const next = new Map(s);
    if (next.has(image.id)) next.delete(image.id); else next.set(image.id, image);
    return next;
  });

  const added = (sum) => {
    const dup = sum.duplicatesRemoved;
    notify(`Added ${count(sum.added, "image")} to the cart${dup ? `; ${count(dup, "duplicate")} removed` : ""}.`);
  };

  const addSelected = async () => {
    setBusy(true); setError("");
    const ids = [...selected.keys()];
    const sum = { added: 0, duplicatesRemoved: 0 };
    try {
      for (let i = 0; i < ids.length; i += 100) {
        const payload = await mutate("CartAddImages", { storeId: store.id, imageIds: ids.slice(i, i + 100) }, "cartAddImages");
        if (payload.errors.length) { setError(errorText(payload.errors)); return; }
        sum.added += payload.added; sum.duplicatesRemoved += payload.duplicatesRemoved;
      }
      setSelected(new Map());
      added(sum);
      refreshCart();
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  const addMatching = async () => {
    setBusy(true); setError("");
    try {
      const payload = await mutate("CartAddMatching", { storeId: store.id, filter }, "cartAddMatching");
      if (payload.errors.length) setError(errorText(payload.errors));
      else { added(payload); setSelected(new Map()); refreshCart(); }
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  const setList = (key, value, on) => setFilters((f) => ({ ...f, [key]: on ? [...f[key], value] : f[key].filter((v) => v !== value) }));
  const fd = facets.data;

  return (
    <section class="images-screen">
      <Heading>Images</Heading>
      <div class="with-filters">
        <aside aria-label="Filters" class="filters">
          <h2>Filters</h2>
          <div class="field">
            <label for="image-search">Search images</label>
            <input id="image-search" type="search" value={search} placeholder="Product, SKU or file name"
              onInput={(e) => setSearch(e.currentTarget.value)} />
          </div>
          <div class="field">
            <label for="image-sort">Sort by</label>
            <select id="image-sort" value={sort} onChange={(e) => setSort(e.currentTarget.value)}>
              {SORTS.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
            </select>
          </div>
          <Facet legend="Background" values={fd && fd.background.background} chosen={filters.background}
            label={(v) => BACKGROUNDS[v] || v} onToggle={(v, on) => setList("background", v, on)} />
          <Facet legend="Format" values={fd && fd.format.format} chosen={filters.formats}
            label={(v) => v} onToggle={(v, on) => setList("formats", v, on)} />
          <Facet legend="Brand" values={fd && fd.brand.brand} chosen={filters.brand}
            label={(v) => v || "(no brand)"} onToggle={(v, on) => setList("brand", v, on)} />
          <fieldset class="facet">
            <legend>Size</legend>
            <ul class="facet-counts">
              {(fd ? fd.size.size : []).map((f) => <li key={f.value}><span>{SIZES[f.value] || f.value}</span> <span class="count">{f.count}</span></li>)}
            </ul>
            <div class="field-row">
              <div class="field"><label for="min-width">Min width (px)</label>
                <input id="min-width" type="number" min="0" inputMode="numeric" value={filters.minWidth}
                  onChange={(e) => setFilters((f) => ({ ...f, minWidth: e.currentTarget.value }))} /></div>
              <div class="field"><label for="max-width">Max width (px)</label>
                <input id="max-width" type="number" min="0" inputMode="numeric" value={filters.maxWidth}
                  onChange={(e) => setFilters((f) => ({ ...f, maxWidth: e.currentTarget.value }))} /></div>
            </div>
          </fieldset>
          <div class="field">
            <label for="edited">Edited by Pixport</label>
            <select id="edited" value={filters.edited} onChange={(e) => setFilters((f) => ({ ...f, edited: e.currentTarget.value }))}>
              <option value="">Any</option><option value="no">Not edited yet</option><option value="yes">Edited</option>
            </select>
          </div>
          <button type="button" onClick={() => { setSearch(""); setFilters(EMPTY); }}>Clear filters</button>
        </aside>
        <div class="grid-area">
          <div class="toolbar">
            <p class="match-count" aria-live="polite">{pages.totalCount == null ? "Counting…" : `${count(pages.totalCount, "image")} match`}</p>
            <p class="cart-count">{cartCount != null && <a href="#/cart">Cart: {count(cartCount, "billable image")}</a>}</p>
            <button type="button" class="primary" disabled={busy || selected.size === 0} onClick={addSelected}>
              Add selected to cart{selected.size ? ` (${selected.size})` : ""}
            </button>
            <button type="button" disabled={busy || !pages.totalCount} onClick={addMatching}>Select all matching</button>
            {selected.size > 0 && <button type="button" class="link-button" onClick={() => setSelected(new Map())}>Clear selection</button>}
          </div>
          <Alert message={error} />
          {pages.edges.length === 0 && !pages.loading && <p>No images match these filters.</p>}
          <ul class="grid" aria-label="Images" aria-busy={pages.loading ? "true" : "false"}>
            {pages.edges.map(({ node }) => (
              <li key={node.id} class={selected.has(node.id) ? "tile selected" : "tile"}>
                <label class="tile-label">
                  <input type="checkbox" class="circle" aria-label={`Select ${node.fileName}`}
                    checked={selected.has(node.id)} onChange={() => toggle(node)} />
                  <Thumb image={node} alt="" />
                  <span class="tile-name" title={node.productName}>{node.productName}</span>
                  <span class="tile-meta">{node.fileName}</span>
                  <span class="tile-meta">{node.width && node.height ? `${node.width}×${node.height}` : "size unknown"}{node.format ? ` · ${node.format}` : ""}{node.edited ? " · edited" : ""}</span>
                </label>
              </li>
            ))}
          </ul>
          {pages.pageInfo && pages.pageInfo.hasNextPage && (
            <button type="button" class="load-more" onClick={() => loadPage(pages.pageInfo.endCursor)}>Load more</button>
          )}
        </div>
      </div>
    </section>
  );
}

function Facet({ legend, values, chosen, label, onToggle }) {
  const base = useId("facet");
  const byValue = new Map((values || []).map((f) => [f.value, f.count]));
  for (const v of chosen) if (!byValue.has(v)) byValue.set(v, 0);
  const entries = [...byValue.entries()];
  return (
    <fieldset class="facet">
      <legend>{legend}</legend>
      {entries.length === 0 && <p class="hint">{values ? "None" : "Counting…"}</p>}
      <ul class="facet-list">
        {entries.map(([value, n], i) => (value === NOT_ANALYSED ? (
          <li key={value} class="unpickable"><span class="facet-label">Not analysed yet</span><span class="count">{n}</span></li>
        ) : (
          <li key={value}>
            <input type="checkbox" id={`${base}-${i}`} checked={chosen.includes(value)} aria-describedby={`${base}-${i}-n`}
              onChange={(e) => onToggle(value, e.currentTarget.checked)} />
            <label for={`${base}-${i}`}>{label(value)}</label>
            <span class="count" id={`${base}-${i}-n`}>{n}</span>
          </li>
        )))}
      </ul>
    </fieldset>
  );
}
