// Light, dark, or the system's choice; stored per machine, applied before the first paint.
export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'genprint.theme';

export function storedTheme(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

let followSystem: (() => void) | null = null;

/**
 * Sets `data-theme` on the root element; for 'system' it follows the OS setting live, so the
 * stylesheet needs one dark palette (`:root[data-theme='dark']`) and no media-query copy of it.
 */
export function applyTheme(choice: ThemeChoice): void {
  const query = window.matchMedia?.('(prefers-color-scheme: dark)');
  if (followSystem && query) query.removeEventListener('change', followSystem);
  followSystem = null;
  if (choice === 'system') {
    localStorage.removeItem(KEY);
    const follow = () => document.documentElement.setAttribute('data-theme', query?.matches ? 'dark' : 'light');
    follow();
    if (query) {
      query.addEventListener('change', follow);
      followSystem = follow;
    }
  } else {
    document.documentElement.setAttribute('data-theme', choice);
    localStorage.setItem(KEY, choice);
  }
}

export function applyStoredTheme(): void {
  applyTheme(storedTheme());
}
