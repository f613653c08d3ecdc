import { useState } from 'react';
import type { LibraryEntrySummary } from '../../../shared/api.js';
import { formatDate, shortHash } from '../format.js';
import { describeCompressionCounts } from '../../../shared/compression.js';
import { displayProse, displayText } from '../../../shared/display-text.js';

export function LibraryTable(props: {
  entries: LibraryEntrySummary[];
  busy: boolean;
  onRename(e: LibraryEntrySummary, name: string): void;
  onRemove(e: LibraryEntrySummary): void;
}) {
  const [editing, setEditing] = useState<{ id: number; value: string } | null>(null);
  if (props.entries.length === 0) return <p className="muted">The library is empty: enrol reference images of a generator below, or import a library file.</p>;
  return (
    <div className="table-wrap">
      <table className="data library-table" data-testid="library-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Family</th>
            <th scope="col" className="num">
              Images
            </th>
            <th scope="col">Source folders</th>
            <th scope="col">Method · model</th>
            <th scope="col">Enrolled</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e) => (
            <tr key={e.id}>
              <td>
                {editing?.id === e.id ? (
                  <form
                    className="inline-edit"
                    onSubmit={(ev) => {
                      ev.preventDefault();
                      if (editing.value.trim() && editing.value.trim() !== e.name) props.onRename(e, editing.value.trim());
                      setEditing(null);
                    }}
                  >
                    <input
                      autoFocus
                      aria-label={`New name for ${displayText(e.name)}`}
                      value={editing.value}
                      onChange={(ev) => setEditing({ id: e.id, value: ev.target.value })}
                      onKeyDown={(ev) => ev.key === 'Escape' && setEditing(null)}
                    />
                    <button type="submit">Save</button>
                  </form>
                ) : (
                  <strong>{displayText(e.name)}</strong>
                )}
                {e.notes && <div className="muted small">{displayProse(e.notes)}</div>}
              </td>
              <td>
                <span className="badge">{displayText(e.family)}</span>
              </td>
              <td
                className="num"
                title={`${e.provenance.skippedCount} skipped; saved as ${e.provenance.compression ? describeCompressionCounts(e.provenance.compression) : 'not recorded'}; list digest ${e.provenance.sha256ListDigest}`}
              >
                {e.provenance.fileCount}
                {e.provenance.skippedCount > 0 && <span className="muted small"> (+{e.provenance.skippedCount} skipped)</span>}
              </td>
              <td className="path small">{e.provenance.sourceFolders.map(displayText).join('\n')}</td>
              <td className="small" title={e.modelVersion}>
                {e.method} · {shortHash(e.modelVersion, 8)}
              </td>
              <td className="small">{formatDate(e.createdAt)}</td>
              <td className="actions">
                <button disabled={props.busy} onClick={() => setEditing({ id: e.id, value: e.name })} aria-label={`Rename ${displayText(e.name)}`}>
                  Rename
                </button>
                <button className="danger-ghost" disabled={props.busy} onClick={() => props.onRemove(e)} aria-label={`Remove ${displayText(e.name)}`}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
