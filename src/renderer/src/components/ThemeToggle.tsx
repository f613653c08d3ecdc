import { useState } from 'react';
import { applyTheme, storedTheme, type ThemeChoice } from '../theme.js';

const NEXT: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
const LABEL: Record<ThemeChoice, string> = { system: 'Theme: system', light: 'Theme: light', dark: 'Theme: dark' };

export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(storedTheme);
  return (
    <button
      className="ghost theme-toggle"
      onClick={() => {
        const next = NEXT[choice];
        applyTheme(next);
        setChoice(next);
      }}
      title="Switch between the system theme, light and dark"
    >
      {LABEL[choice]}
    </button>
  );
}
