import { useEffect, useRef, useState, useCallback } from "preact/hooks";
import { createContext } from "preact";
import { useContext } from "preact/hooks";

export const AppContext = createContext(null);
export const useApp = () => useContext(AppContext);

let nextId = 0;
export function useId(prefix = "f") {
  const ref = useRef(null);
  if (ref.current === null) ref.current = `${prefix}-${++nextId}`;
  return ref.current;
}

/** The screen's heading: focused when the screen opens, so keyboard and screen-reader users land on it. */
export function Heading({ children }) {
  const ref = useRef(null);
  useEffect(() => { if (ref.current) ref.current.focus({ preventScroll: false }); }, []);
  return <h1 ref={ref} tabIndex={-1}>{children}</h1>;
}

/** A labelled control with its typed error (UserError.field) as its description. */
export function Field({ label, error, hint, children, id: givenId, className = "" }) {
  const autoId = useId();
  const id = givenId || autoId;
  const described = [];
  if (hint) described.push(`${id}-hint`);
  if (error) described.push(`${id}-error`);
  const control = children({ id, "aria-invalid": error ? "true" : undefined, "aria-describedby": described.join(" ") || undefined });
  return (
    <div class={`field ${className}`}>
      <label for={id}>{label}</label>
      {control}
      {hint && <small id={`${id}-hint`} class="hint">{hint}</small>}
      {error && <small id={`${id}-error`} class="field-error">{error}</small>}
    </div>
  );
}

export function Alert({ message }) {
  if (!message) return null;
  return <p role="alert" class="alert">{message}</p>;
}

/** Loads with ``fn`` whenever ``deps`` change; { data, error, loading, reload, setData }. */
export function useLoad(fn, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const load = useCallback(async () => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await fn();
      if (mine === seq.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === seq.current) setState((s) => ({ data: s.data, error: error.message || String(error), loading: false }));
    }
  }, deps);
  useEffect(() => { load(); }, [load]);
  return { ...state, reload: load, setData: (data) => setState((s) => ({ ...s, data })) };
}

/** Field errors of a payload's ``errors``, by the input field they name (last path part). */
export function fieldErrors(errors) {
  const out = {};
  for (const e of errors || []) {
    const key = e.field ? e.field.split(".").slice(-1)[0] : "_";
    out[key] = out[key] ? `${out[key]} ${e.message}` : e.message;
  }
  return out;
}

export function errorText(errors) {
  return (errors || []).map((e) => e.message).join(" ");
}

export function Thumb({ image, alt }) {
  const src = image && (image.thumbnailUrl || image.url);
  if (!src) return <div class="thumb thumb-empty" aria-hidden="true" />;
  return <img class="thumb" src={src} alt={alt ?? ""} loading="lazy" referrerpolicy="no-referrer" />;
}
