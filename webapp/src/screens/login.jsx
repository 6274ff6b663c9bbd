import { useState } from "preact/hooks";
import { mutate, setToken, storeLinkToken, clearStoreLinkToken } from "../api.js";
import { Field, Alert, fieldErrors, useApp } from "../ui.jsx";

function AuthForm({ title, operation, field, fields, submitLabel, autocompletePassword }) {
  const { notify } = useApp();
  const [values, setValues] = useState(Object.fromEntries(fields.map(([name]) => [name, ""])));
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);

  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const link = storeLinkToken();
      const input = { ...values, ...(link ? { storeLinkToken: link } : {}) };
      const payload = await mutate(operation, { input }, field);
      if (payload.errors.length) {
        setErrors(fieldErrors(payload.errors));
        return;
      }
      if (link) clearStoreLinkToken();
      setToken(payload.token);
      notify(link ? "Signed in. Your store is linked." : `Signed in as ${payload.user.email}.`);
      location.hash = "#/store";
    } catch (e) {
      setErrors({ _: e.message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form aria-label={title} class="card auth" onSubmit={submit} noValidate>
      <h2>{title}</h2>
      {fields.map(([name, label, type, autocomplete]) => (
        <Field key={name} label={label} error={errors[name]}>
          {(a) => <input {...a} name={name} type={type} required autocomplete={name === "password" ? autocompletePassword : autocomplete}
            value={values[name]} onInput={(e) => setValues({ ...values, [name]: e.currentTarget.value })} />}
        </Field>
      ))}
      <Alert message={errors._ || errors.storeLinkToken} />
      <button type="submit" class="primary" disabled={busy}>{submitLabel}</button>
    </form>
  );
}

export function LoginScreen() {
  const link = storeLinkToken();
  return (
    <section class="login">
      <h1 tabIndex={-1}>Welcome to Pixport</h1>
      <p class="lead">Edit your store's product images: pick them, choose how they should look, approve the price, and publish the results back.</p>
      {link && <p class="note" id="link-note">Sign up or log in to connect the store you opened Pixport from.</p>}
      <div class="auth-forms">
        <AuthForm title="Log in" operation="SessionCreate" field="sessionCreate" submitLabel="Log in"
          autocompletePassword="current-password"
          fields={[["email", "Email", "email", "username"], ["password", "Password", "password"]]} />
        <AuthForm title="Create account" operation="AccountCreate" field="accountCreate" submitLabel="Create account"
          autocompletePassword="new-password"
          fields={[["name", "Name", "text", "name"], ["email", "Email", "email", "email"], ["password", "Password", "password"]]} />
      </div>
    </section>
  );
}
