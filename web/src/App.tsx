import { useEffect, useState } from 'preact/hooks';
import { apiKey } from './api';
import { ApiKeyForm } from './components/ApiKeyForm';
import { RequestList } from './components/RequestList';
import { RequestView } from './components/RequestView';
import { UploadForm } from './components/UploadForm';

/** `#/requests/<id>` opens one request; anything else is the home page (upload and list). */
function requestIdOf(hash: string): string | null {
  return /^#\/requests\/([0-9a-f-]{36})$/.exec(hash)?.[1] ?? null;
}

export function App() {
  const [hash, setHash] = useState(location.hash);
  const [needsKey, setNeedsKey] = useState(false);

  useEffect(() => {
    const onHashChange = () => setHash(location.hash);
    addEventListener('hashchange', onHashChange);
    return () => removeEventListener('hashchange', onHashChange);
  }, []);

  const requestId = requestIdOf(hash);
  const onUnauthorized = () => setNeedsKey(true);
  const onKey = (key: string) => {
    apiKey.set(key);
    setNeedsKey(false);
  };
  const forgetKey = () => {
    apiKey.clear();
    setNeedsKey(true);
  };

  return (
    <>
      <header class="top">
        <a href="#/" class="brand">
          Pixelmill
        </a>
        <nav aria-label="Main">
          <a href="#/">Requests</a>
          <a href="/docs">API docs</a>
          {apiKey.get() && (
            <button type="button" class="link" onClick={forgetKey}>
              Forget API key
            </button>
          )}
        </nav>
      </header>
      <main id="main">
        {needsKey ? (
          <ApiKeyForm onKey={onKey} rejectedKey={apiKey.get()} />
        ) : requestId ? (
          <RequestView key={requestId} requestId={requestId} onUnauthorized={onUnauthorized} />
        ) : (
          <>
            <UploadForm
              onUploaded={(id) => {
                location.hash = `#/requests/${id}`;
              }}
              onUnauthorized={onUnauthorized}
            />
            <RequestList onUnauthorized={onUnauthorized} />
          </>
        )}
      </main>
    </>
  );
}
