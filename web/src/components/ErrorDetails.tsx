import type { ErrorResponse } from '../api';

/** The API's refusal: its message, and each problem against the row and column it names. */
export function ErrorDetails({ error }: { error: ErrorResponse }) {
  const located = error.errors.filter((detail) => detail.row !== null || detail.column !== null);
  return (
    <div role="alert" class="error">
      <p>{error.message}</p>
      {located.length > 0 && (
        <div class="table-scroll">
          <table>
            <caption>Problems found</caption>
            <thead>
              <tr>
                <th scope="col">Row</th>
                <th scope="col">Column</th>
                <th scope="col">Problem</th>
              </tr>
            </thead>
            <tbody>
              {located.map((detail, index) => (
                <tr key={index}>
                  <td>{detail.row ?? '—'}</td>
                  <td>{detail.column ?? '—'}</td>
                  <td>{detail.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
