import type { SkippedFile } from '../../../shared/api.js';
import { displayProse, displayText } from '../../../shared/display-text.js';

export function SkippedList({ skipped }: { skipped: SkippedFile[] }) {
  if (skipped.length === 0) return <p className="muted skipped-none">No files were skipped.</p>;
  return (
    <details className="skipped" open={skipped.length <= 10}>
      <summary>
        {skipped.length} file{skipped.length === 1 ? '' : 's'} skipped
      </summary>
      <table className="data" data-testid="skipped-table">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Reason</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {skipped.map((s) => (
            <tr key={s.relPath + s.reason}>
              <td className="path">{displayText(s.relPath)}</td>
              <td>
                <code>{s.reason}</code>
              </td>
              <td className="muted">{displayProse(s.message)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
