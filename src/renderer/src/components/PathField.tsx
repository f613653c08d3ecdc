import { useId } from 'react';

/**
 * A path typed or pasted by the examiner, with a Browse button where the host has native dialogs.
 * The browser build cannot open native dialogs or learn a dropped folder's path, so typing stays possible everywhere.
 */
export function PathField(props: {
  label: string;
  value: string;
  onChange(v: string): void;
  onBrowse?: () => Promise<string | null>;
  placeholder?: string;
  disabled?: boolean;
  name?: string;
}) {
  const id = useId();
  return (
    <div className="field path-field">
      <label htmlFor={id}>{props.label}</label>
      <div className="path-row">
        <input
          id={id}
          name={props.name}
          type="text"
          spellCheck={false}
          autoComplete="off"
          value={props.value}
          placeholder={props.placeholder ?? '/path/to/folder'}
          disabled={props.disabled}
          onChange={(e) => props.onChange(e.target.value)}
        />
        {props.onBrowse && (
          <button
            type="button"
            disabled={props.disabled}
            onClick={() => {
              void props.onBrowse!().then((p) => p && props.onChange(p));
            }}
          >
            Browse…
          </button>
        )}
      </div>
    </div>
  );
}
