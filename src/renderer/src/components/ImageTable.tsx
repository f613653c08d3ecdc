import { useMemo, useState } from 'react';
import type { CaseResult, GenprintApi, MethodId } from '../../../shared/api.js';
import { formatScore } from '../../../shared/numbers.js';
import { Thumbnail } from './Thumbnail.js';
import { displayText } from '../../../shared/display-text.js';

type Key = 'relPath' | 'group' | 'topCandidate' | 'score';
const COLUMNS: { key: Key; label: string; numeric?: boolean }[] = [
  { key: 'relPath', label: 'File' },
  { key: 'group', label: 'Group', numeric: true },
  { key: 'topCandidate', label: 'Top candidate (this image alone)' },
  { key: 'score', label: 'Score', numeric: true },
];
const PAGE = 100;

export function ImageTable({ api, caseRoot, images, method }: { api: GenprintApi; caseRoot: string; images: CaseResult['images']; method: MethodId }) {
  const [sort, setSort] = useState<{ key: Key; dir: 1 | -1 }>({ key: 'relPath', dir: 1 });
  const [shown, setShown] = useState(PAGE);
  const rows = useMemo(() => {
    const r = [...images];
    r.sort((a, b) => {
      const x = a[sort.key] ?? '';
      const y = b[sort.key] ?? '';
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
      return c * sort.dir;
    });
    return r;
  }, [images, sort]);

  const toggle = (key: Key) => setSort((s) => (s.key === key ? { key, dir: s.dir === 1 ? -1 : 1 } : { key, dir: key === 'score' ? -1 : 1 }));

  return (
    <div className="table-wrap">
      <table className="data image-table" data-testid="image-table">
        <thead>
          <tr>
            <th scope="col" className="thumb-col">
              <span className="sr-only">Preview</span>
            </th>
            {COLUMNS.map((c) => (
              <th
                key={c.key}
                scope="col"
                className={c.numeric ? 'num' : undefined}
                aria-sort={sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}
              >
                <button className="sort" onClick={() => toggle(c.key)}>
                  {c.label}
                  <span aria-hidden="true" className="sort-mark">
                    {sort.key === c.key ? (sort.dir === 1 ? '▲' : '▼') : ''}
                  </span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, shown).map((img) => (
            <tr key={img.relPath}>
              <td className="thumb-col">
                <Thumbnail api={api} caseRoot={caseRoot} relPath={img.relPath} />
              </td>
              <td className="path" title={`SHA-256 ${img.sha256}`}>
                {displayText(img.relPath)}
              </td>
              <td className="num">{img.group + 1}</td>
              <td>{img.topCandidate === null ? <span className="muted">none</span> : displayText(img.topCandidate)}</td>
              <td className="num">{formatScore(method, img.score)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > shown && (
        <button className="more" onClick={() => setShown((n) => n + PAGE)}>
          Show {Math.min(PAGE, rows.length - shown)} more of {rows.length - shown} remaining
        </button>
      )}
    </div>
  );
}
