/**
 * Device settings during the meeting: camera, microphone and speaker lists in a modal
 * dialog. Choosing a device switches at once (see MeetingController.switchDevice).
 */

import { useEffect, useState } from 'preact/hooks';
import { canChooseSpeaker, groupDevices, type DeviceLists, type DeviceOption } from '../devices';
import { t, type MessageKey } from '../i18n';
import type { DeviceKind, MeetingController, MeetingSnapshot } from '../meeting';
import { Dialog } from './Dialog';

const GearIcon = () => (
  <svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
    <circle cx="12" cy="12" r="3" />
    <path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1" />
  </svg>
);

function listDevices(): Promise<DeviceLists> {
  return navigator.mediaDevices.enumerateDevices().then((devices) =>
    groupDevices(devices, (kind, n) =>
      t(kind === 'camera' ? 'lobby.unnamedCamera' : kind === 'mic' ? 'lobby.unnamedMic' : 'lobby.unnamedSpeaker', { n }),
    ),
  );
}

export function DeviceSettings({ controller, snapshot }: { controller: MeetingController; snapshot: MeetingSnapshot }) {
  const [open, setOpen] = useState(false);
  const [lists, setLists] = useState<DeviceLists>({ cameras: [], mics: [], speakers: [] });

  useEffect(() => {
    if (!open || !navigator.mediaDevices) return;
    const refresh = () => void listDevices().then(setLists).catch(() => {});
    refresh();
    navigator.mediaDevices.addEventListener('devicechange', refresh);
    return () => navigator.mediaDevices.removeEventListener('devicechange', refresh);
  }, [open]);

  const { devices } = snapshot;
  const select = (kind: DeviceKind, label: MessageKey, options: DeviceOption[], value: string | null) =>
    options.length > 0 && (
      <div class="field">
        <label for={`device-${kind}`}>{t(label)}</label>
        <select
          id={`device-${kind}`}
          value={value && options.some((o) => o.id === value) ? value : (options[0]?.id ?? '')}
          onChange={(e) => void controller.switchDevice(kind, e.currentTarget.value)}
        >
          {options.map((o) => (
            <option key={o.id} value={o.id}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
    );

  return (
    <>
      <button
        type="button"
        class={`ctl ${open ? 'ctl-active' : ''}`}
        aria-label={t('devices.open')}
        title={t('devices.open')}
        aria-haspopup="dialog"
        onClick={() => setOpen(true)}
      >
        <GearIcon />
      </button>
      <Dialog id="device-dialog" open={open} title={t('devices.title')} closeLabel={t('devices.close')} onClose={() => setOpen(false)}>
        <div class="form">
          {select('camera', 'lobby.camera', lists.cameras, devices.cameraId)}
          {select('mic', 'lobby.microphone', lists.mics, devices.micId)}
          {canChooseSpeaker() && select('speaker', 'lobby.speaker', lists.speakers, devices.speakerId)}
        </div>
      </Dialog>
    </>
  );
}
