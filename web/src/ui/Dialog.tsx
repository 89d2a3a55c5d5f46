/**
 * A modal dialog on the native <dialog> element: focus moves in and is trapped by the
 * browser, Escape closes it, and it is announced with its heading as its name.
 */

import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function Dialog({
  id,
  open,
  title,
  closeLabel,
  onClose,
  children,
}: {
  id: string;
  open: boolean;
  title: string;
  closeLabel: string;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} class="device-dialog" aria-labelledby={`${id}-title`} onClose={onClose}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
      <div class="dialog-actions">
        <button type="button" class="btn btn-primary" onClick={onClose}>
          {closeLabel}
        </button>
      </div>
    </dialog>
  );
}

/** Whether a modal dialog is open (keyboard shortcuts must not act behind it). */
export function modalOpen(): boolean {
  return document.querySelector('dialog[open]') !== null;
}
