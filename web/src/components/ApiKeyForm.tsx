import { useState } from 'preact/hooks';

/** Asks for an API key when the service wants one; the page keeps it in the browser's storage. */
export function ApiKeyForm({ onKey, rejected }: { onKey: (key: string) => void; rejected: boolean }) {
  const [key, setKey] = useState('');
  return (
    <section aria-labelledby="key-title" class="card narrow">
      <h1 id="key-title">API key</h1>
      <p>
        This service asks for an API key. It is kept in this browser and sent with every call; you see the
        requests made with it.
      </p>
      {rejected && (
        <p role="alert" class="error">
          The key was not accepted: enter another one.
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim()) onKey(key.trim());
        }}
      >
        <label for="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          required
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
        />
        <button type="submit">Use this key</button>
      </form>
    </section>
  );
}
