// Light, dark, or the system's choice; stored per machine, applied before the first paint.
export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'genprint.theme';

export function storedTheme(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === 'system') {
    document.documentElement.removeAttribute('data-theme');
    localStorage.removeItem(KEY);
  } else {
    document.documentElement.setAttribute('data-theme', choice);
    localStorage.setItem(KEY, choice);
  }
}

export function applyStoredTheme(): void {
  applyTheme(storedTheme());
}
