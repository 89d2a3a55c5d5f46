/**
 * Device choice for the pre-join lobby and for publishing: which camera, microphone and
 * speaker, and whether the camera and microphone start on. Pure functions plus a small
 * localStorage memory, so the next meeting starts with the same choice.
 */

import { CAMERA_CONSTRAINTS } from './media';

/** What the user chose in the lobby; ids are `MediaDeviceInfo.deviceId`, null = browser default. */
export interface MediaChoice {
  camera: boolean;
  mic: boolean;
  cameraId: string | null;
  micId: string | null;
  speakerId: string | null;
}

export const DEFAULT_CHOICE: MediaChoice = { camera: true, mic: true, cameraId: null, micId: null, speakerId: null };

export interface DeviceOption {
  id: string;
  label: string;
}

export interface DeviceLists {
  cameras: DeviceOption[];
  mics: DeviceOption[];
  speakers: DeviceOption[];
}

type Kind = 'camera' | 'mic' | 'speaker';

/**
 * Groups `enumerateDevices()` output. Before permission is granted browsers report devices
 * with empty ids and labels; those cannot be selected, so they are left out. A device
 * without a label gets a numbered name in the user's language.
 */
export function groupDevices(
  devices: readonly Pick<MediaDeviceInfo, 'deviceId' | 'kind' | 'label'>[],
  unnamed: (kind: Kind, n: number) => string,
): DeviceLists {
  const lists: DeviceLists = { cameras: [], mics: [], speakers: [] };
  for (const d of devices) {
    if (!d.deviceId) continue;
    const [list, kind]: [DeviceOption[], Kind] =
      d.kind === 'videoinput' ? [lists.cameras, 'camera'] : d.kind === 'audioinput' ? [lists.mics, 'mic'] : [lists.speakers, 'speaker'];
    if (list.some((o) => o.id === d.deviceId)) continue;
    list.push({ id: d.deviceId, label: d.label || unnamed(kind, list.length + 1) });
  }
  return lists;
}

/**
 * The device to use from a list: the wanted one while it is still there, else the one the
 * browser currently uses (the id of a running track), else the first. Null for an empty list.
 */
export function resolveDevice(options: readonly DeviceOption[], wanted: string | null, inUse?: string | null): string | null {
  if (wanted && options.some((o) => o.id === wanted)) return wanted;
  if (inUse && options.some((o) => o.id === inUse)) return inUse;
  return options[0]?.id ?? null;
}

/** Constraints for one kind of capture; `exact` so the browser cannot silently pick another device. */
export function audioConstraints(micId: string | null): MediaTrackConstraints | true {
  return micId ? { deviceId: { exact: micId } } : true;
}

export function videoConstraints(cameraId: string | null): MediaTrackConstraints {
  return cameraId ? { ...CAMERA_CONSTRAINTS, deviceId: { exact: cameraId } } : { ...CAMERA_CONSTRAINTS };
}

/** Why a capture failed, as far as the user can act on it. */
export type MediaProblem = 'denied' | 'missing' | 'busy' | 'failed';

export function classifyMediaError(e: unknown): MediaProblem {
  const name = e instanceof DOMException || e instanceof Error ? e.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'missing';
    case 'NotReadableError':
    case 'AbortError':
      return 'busy';
    default:
      return 'failed';
  }
}

const STORAGE_KEY = 'plenum.devices';

/** Reads a remembered choice, accepting only well-formed fields (storage is user-editable). */
export function parseChoice(raw: string | null): MediaChoice {
  if (!raw) return { ...DEFAULT_CHOICE };
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    const id = (x: unknown) => (typeof x === 'string' && x.length > 0 && x.length <= 256 ? x : null);
    return {
      camera: typeof v.camera === 'boolean' ? v.camera : true,
      mic: typeof v.mic === 'boolean' ? v.mic : true,
      cameraId: id(v.cameraId),
      micId: id(v.micId),
      speakerId: id(v.speakerId),
    };
  } catch {
    return { ...DEFAULT_CHOICE };
  }
}

export function loadChoice(): MediaChoice {
  try {
    return parseChoice(localStorage.getItem(STORAGE_KEY));
  } catch {
    return { ...DEFAULT_CHOICE };
  }
}

export function saveChoice(choice: MediaChoice): void {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(choice));
  } catch {
    // Not remembering the devices is acceptable.
  }
}

/** Whether this browser can route audio to a chosen output (Chromium yes, Firefox behind a pref). */
export function canChooseSpeaker(): boolean {
  return typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;
}
