import { render } from "preact";
import { useEffect, useState, useCallback, useRef } from "preact/hooks";
import "./app.css";
import { gql, getToken, setToken, loadConfig, onTokenChange, mutate, storeLinkToken, LINK_KEY } from "./api.js";
import { AppContext } from "./ui.jsx";
import { LoginScreen } from "./screens/login.jsx";
import { StoreScreen } from "./screens/store.jsx";
import { ImagesScreen } from "./screens/images.jsx";
import { CartScreen } from "./screens/cart.jsx";
import { SpecsScreen, SpecEditorScreen } from "./screens/specs.jsx";
import { OrdersScreen, OrderScreen } from "./screens/orders.jsx";
import { CardsScreen } from "./screens/cards.jsx";
import { PlanScreen } from "./screens/plan.jsx";

const STORE_KEY = "pixport.storeId";

/** ``#session=…`` / ``#storeLinkToken=…`` from /bigcommerce/load: taken once, then the hash is a route. */
function takeEntryHash() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  if (params.get("session")) {
    setToken(params.get("session"));
    history.replaceState(null, "", "#/store");
  } else if (params.get("storeLinkToken")) {
    try { sessionStorage.setItem(LINK_KEY, params.get("storeLinkToken")); } catch { /* memory only */ }
    window.__pixportLink = params.get("storeLinkToken");
    history.replaceState(null, "", "#/login");
  }
}

function parseRoute() {
  const path = location.hash.replace(/^#/, "") || "/";
  const parts = path.split("?")[0].split("/").filter(Boolean);
  return { path, parts };
}

const NAV = [["/store", "Store"], ["/images", "Images"], ["/cart", "Cart"], ["/specs", "Specifications"],
  ["/orders", "Orders"], ["/cards", "Saved cards"]];

function Shell() {
  const [route, setRoute] = useState(parseRoute());
  const [token, setTok] = useState(getToken());
  const [me, setMe] = useState(null);
  const [stores, setStores] = useState(null);
  const [storeId, setStoreIdState] = useState(() => { try { return sessionStorage.getItem(STORE_KEY); } catch { return null; } });
  const [notice, setNoticeState] = useState("");
  const noticeAt = useRef(0);
  const setNotice = useCallback((text) => { noticeAt.current = Date.now(); setNoticeState(text); }, []);
  const [failure, setFailure] = useState("");

  useEffect(() => {
    const onHash = () => {
      setRoute(parseRoute());
      setFailure("");
      // a notice outlives the navigation it announced ("Order created"), not the next ones
      if (Date.now() - noticeAt.current > 2000) setNoticeState("");
    };
    window.addEventListener("hashchange", onHash);
    const off = onTokenChange(setTok);
    return () => { window.removeEventListener("hashchange", onHash); off(); };
  }, []);

  const refreshStores = useCallback(async () => {
    const data = await gql("Stores");
    setStores(data.stores);
    return data.stores;
  }, []);

  useEffect(() => {
    if (!token) { setMe(null); setStores(null); return; }
    let live = true;
    (async () => {
      try {
        const data = await gql("Me");
        if (!live) return;
        if (!data.me) { setToken(null); return; }
        setMe(data.me);
        await refreshStores();
      } catch (e) { if (live) setFailure(e.message); }
    })();
    return () => { live = false; };
  }, [token]);

  const setStoreId = (id) => { setStoreIdState(id); try { sessionStorage.setItem(STORE_KEY, id); } catch { /* memory */ } };
  const store = stores && (stores.find((s) => s.id === storeId) || stores[0]) || null;

  const logOut = async () => {
    try { await mutate("SessionDelete", {}, "sessionDelete"); } catch { /* the token is dropped anyway */ }
    setToken(null);
    location.hash = "#/login";
  };

  const ctx = { me, stores, store, setStoreId, refreshStores, notify: setNotice, fail: setFailure, route };

  let screen;
  const [first, second] = route.parts;
  if (!token || first === "login") {
    screen = token && first === "login" && !storeLinkToken() ? <Redirect to="#/store" /> : <LoginScreen />;
  } else if (!me || stores === null) {
    screen = <p class="loading">Loading…</p>;
  } else if (!first || first === "store") screen = <StoreScreen />;
  else if (!store) screen = <StoreScreen />;
  else if (first === "images") screen = <ImagesScreen key={store.id} />;
  else if (first === "cart") screen = <CartScreen key={store.id} />;
  else if (first === "specs" && second === "new") screen = <SpecEditorScreen key="new" />;
  else if (first === "specs" && second) screen = <SpecEditorScreen key={second} id={decodeURIComponent(second)} />;
  else if (first === "specs") screen = <SpecsScreen />;
  else if (first === "orders" && second) screen = <OrderScreen key={second} id={decodeURIComponent(second)} />;
  else if (first === "orders") screen = <OrdersScreen />;
  else if (first === "plans" && second) screen = <PlanScreen key={second} id={decodeURIComponent(second)} />;
  else if (first === "cards") screen = <CardsScreen />;
  else screen = <NotFound />;

  const signedIn = token && me && first !== "login";
  return (
    <AppContext.Provider value={ctx}>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main").focus(); }}>Skip to content</a>
      <header class="top">
        <span class="brand">Pixport</span>
        {signedIn && (
          <nav aria-label="Main">
            <ul>
              {NAV.map(([href, label]) => (
                <li key={href}><a href={`#${href}`} aria-current={`/${first === "plans" ? "orders" : first}` === href || (href === "/store" && !first) ? "page" : undefined}>{label}</a></li>
              ))}
            </ul>
          </nav>
        )}
        {signedIn && stores && stores.length > 1 && (
          <label class="store-pick">Store{" "}
            <select value={store && store.id} onChange={(e) => setStoreId(e.currentTarget.value)}>
              {stores.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
            </select>
          </label>
        )}
        {signedIn && <span class="who">{me.email}</span>}
        {signedIn && <button type="button" class="link-button" onClick={logOut}>Log out</button>}
      </header>
      <div role="status" aria-label="Notice" class={notice ? "notice" : "notice empty"} aria-live="polite">
        {notice}{notice && <button type="button" class="close" aria-label="Dismiss notice" onClick={() => setNoticeState("")}>×</button>}
      </div>
      {failure && <p role="alert" class="alert global">{failure}</p>}
      <main id="main" tabIndex={-1}>{screen}</main>
    </AppContext.Provider>
  );
}

function Redirect({ to }) {
  useEffect(() => { location.replace(to); }, [to]);
  return null;
}

function NotFound() {
  return <section><h1>Page not found</h1><p><a href="#/store">Go to your store</a></p></section>;
}

takeEntryHash();
loadConfig().catch(() => null).then(() => {
  const root = document.getElementById("root");
  root.textContent = "";
  render(<Shell />, root);
});
