import { useState } from 'preact/hooks';

/**
 * Asks for an API key when the service wants one; the page keeps it in the browser's storage. A key the
 * service refused stays in the field (it can be shown) so that a typo can be seen and mended.
 */
export function ApiKeyForm({
  onKey,
  rejectedKey,
}: {
  onKey: (key: string) => void;
  rejectedKey: string | null;
}) {
  const [key, setKey] = useState(rejectedKey ?? '');
  const [shown, setShown] = useState(false);
  const field = {
    id: 'api-key',
    autoComplete: 'off',
    spellcheck: false,
    required: true,
    'aria-describedby': 'key-origin',
    value: key,
    onInput: (event: Event) => setKey((event.currentTarget as HTMLInputElement).value),
  };
  return (
    <section aria-labelledby="key-title" class="card narrow">
      <h1 id="key-title">API key</h1>
      <p>
        This service asks for an API key. It is kept in this browser and sent with every call; you see the
        requests made with it.
      </p>
      <p id="key-origin" class="hint">
        Keys are given out by whoever runs this service: each is one entry of its <code>API_KEYS</code>{' '}
        setting. Ask them for yours.
      </p>
      {rejectedKey !== null && (
        <p role="alert" class="error">
          The key below was not accepted. Check it for a typo, or ask for another one.
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim()) onKey(key.trim());
        }}
      >
        <label for="api-key">API key</label>
        {/* One input either way (Preact keeps the element, so focus and caret stay): only its type changes. */}
        {shown ? <input {...field} type="text" /> : <input {...field} type="password" />}
        <label class="check">
          <input
            type="checkbox"
            checked={shown}
            onChange={(event) => setShown(event.currentTarget.checked)}
          />
          Show the key
        </label>
        <button type="submit">Use this key</button>
      </form>
    </section>
  );
}
