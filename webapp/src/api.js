// The app's only way to Pixport: the named operations of frontend-contract/ over HTTP,
// subscriptions over graphql-transport-ws (graphql-ws), and /app/config.json.
import { createClient } from "graphql-ws";
import operations from "./generated/operations.js";

const TOKEN_KEY = "pixport.token";
let config = null;
let token = null;
let wsClient = null;
const listeners = new Set();

try { token = sessionStorage.getItem(TOKEN_KEY); } catch { token = null; }

export function getToken() { return token; }

export function setToken(value) {
  token = value || null;
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage blocked in a third-party iframe: the token lives in memory */ }
  if (wsClient) { wsClient.dispose(); wsClient = null; }
  listeners.forEach((fn) => fn(token));
}

export function onTokenChange(fn) { listeners.add(fn); return () => listeners.delete(fn); }

export async function loadConfig() {
  if (!config) {
    const response = await fetch("/app/config.json", { headers: { accept: "application/json" } });
    config = await response.json();
  }
  return config;
}

export function getConfig() { return config; }

export class ApiError extends Error {}

/** ``data`` of the named operation; GraphQL-level errors throw ApiError. */
export async function gql(name, variables = {}) {
  const query = operations[name];
  if (!query) throw new Error(`Unknown operation ${name}`);
  const headers = { "content-type": "application/json", accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch((config && config.graphqlPath) || "/graphql", {
      method: "POST", headers, body: JSON.stringify({ query, variables, operationName: name }),
    });
  } catch {
    throw new ApiError("Pixport cannot be reached. Check your connection and try again.");
  }
  let body;
  try { body = await response.json(); } catch { throw new ApiError(`Pixport answered ${response.status}.`); }
  if (body.errors && body.errors.length) {
    const message = body.errors.map((e) => e.message).join(" ");
    throw new ApiError(message);
  }
  return body.data;
}

/** Runs a mutation whose payload has ``errors``: resolves to the payload (errors included). */
export async function mutate(name, variables, field) {
  const data = await gql(name, variables);
  return data[field];
}

function ws() {
  if (!wsClient) {
    const url = new URL((config && config.graphqlPath) || "/graphql", location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    wsClient = createClient({
      url: url.href,
      lazy: true,
      retryAttempts: 10,
      connectionParams: () => ({ authorization: `Bearer ${token}` }),
    });
  }
  return wsClient;
}

/** Subscribes to a named subscription; returns the function that ends it. */
export function subscribe(name, variables, { next, error, complete }) {
  return ws().subscribe(
    { query: operations[name], variables, operationName: name },
    {
      next: (result) => {
        if (result.errors && result.errors.length) error && error(new ApiError(result.errors.map((e) => e.message).join(" ")));
        else next(result.data);
      },
      error: (err) => error && error(err instanceof Error ? err : new ApiError("The live connection failed.")),
      complete: () => complete && complete(),
    },
  );
}

// The storeLinkToken of /bigcommerce/load, until sign-up or log-in uses it.
export const LINK_KEY = "pixport.storeLinkToken";

export function storeLinkToken() {
  try { return sessionStorage.getItem(LINK_KEY) || window.__pixportLink || null; } catch { return window.__pixportLink || null; }
}

export function clearStoreLinkToken() {
  window.__pixportLink = null;
  try { sessionStorage.removeItem(LINK_KEY); } catch { /* nothing kept */ }
}


/** Saves a file Pixport serves only with the bearer token (e.g. a publish log's CSV): fetched
 * with the token, handed to the browser as a blob URL. */
export async function downloadWithToken(path, filename) {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  let response;
  try { response = await fetch(path, { headers }); } catch { throw new ApiError("Pixport cannot be reached. Check your connection and try again."); }
  if (!response.ok) throw new ApiError(`The download failed (Pixport answered ${response.status}).`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
