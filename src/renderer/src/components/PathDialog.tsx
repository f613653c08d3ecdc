import { useEffect, useState } from 'react';
import { ConfirmDialog } from './ConfirmDialog.js';
import { PathField } from './PathField.js';

/** Asks for a file path where the host has no native file dialog (the browser build). */
export function PathDialog(props: { open: boolean; title: string; label: string; confirmLabel: string; onDone(path: string | null): void }) {
  const [value, setValue] = useState('');
  useEffect(() => {
    if (props.open) setValue('');
  }, [props.open]);
  return (
    <ConfirmDialog
      open={props.open}
      title={props.title}
      confirmLabel={props.confirmLabel}
      onCancel={() => props.onDone(null)}
      onConfirm={() => props.onDone(value.trim() || null)}
    >
      <PathField label={props.label} value={value} onChange={setValue} placeholder="/path/to/library.db" />
    </ConfirmDialog>
  );
}
