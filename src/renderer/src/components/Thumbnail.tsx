import { useEffect, useRef, useState } from 'react';
import type { GenprintApi } from '../../../shared/api.js';

/** A thumbnail fetched from the host once the row scrolls into view; the box has a fixed size so rows never jump. */
export function Thumbnail({ api, caseRoot, relPath }: { api: GenprintApi; caseRoot: string; relPath: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [src, setSrc] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let alive = true;
    const io = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting)) return;
      io.disconnect();
      api.thumbnail(caseRoot, relPath).then(
        (url) => alive && setSrc(url),
        () => alive && setSrc(null),
      );
    });
    io.observe(el);
    return () => {
      alive = false;
      io.disconnect();
    };
  }, [api, caseRoot, relPath]);
  return (
    <div className="thumb" ref={ref}>
      {src ? (
        <img src={src} alt="" />
      ) : src === null ? (
        <span className="muted" title="No preview">
          –
        </span>
      ) : null}
    </div>
  );
}
