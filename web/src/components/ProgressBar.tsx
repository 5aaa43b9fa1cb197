/** A labelled progress bar with its percentage beside it. */
export function ProgressBar({ label, value, max }: { label: string; value: number; max: number }) {
  const percent = max > 0 ? Math.floor((value / max) * 100) : 100;
  return (
    <div class="progress">
      <progress aria-label={label} value={value} max={max || 1} />
      <span aria-hidden="true">{percent}%</span>
    </div>
  );
}
