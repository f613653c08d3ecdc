// The text a React component shows, rendered with react-dom/server: tags dropped, the entities
// react-dom writes decoded, white space folded (so wrapped sentences compare as one line).
import type { ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';

export function staticText(element: ReactElement): string {
  return renderToStaticMarkup(element)
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
