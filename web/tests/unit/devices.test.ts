import { describe, expect, it } from 'vitest';
import {
  audioConstraints,
  classifyMediaError,
  DEFAULT_CHOICE,
  groupDevices,
  parseChoice,
  resolveDevice,
  videoConstraints,
} from '../../src/devices';

const unnamed = (kind: string, n: number) => `${kind} ${n}`;

describe('groupDevices', () => {
  it('sorts devices by kind, drops duplicates and devices without an id', () => {
    const lists = groupDevices(
      [
        { deviceId: 'c1', kind: 'videoinput', label: 'Front' },
        { deviceId: 'm1', kind: 'audioinput', label: 'Headset' },
        { deviceId: 'm1', kind: 'audioinput', label: 'Headset' },
        { deviceId: '', kind: 'audioinput', label: '' },
        { deviceId: 's1', kind: 'audiooutput', label: 'Speakers' },
      ],
      unnamed,
    );
    expect(lists).toEqual({
      cameras: [{ id: 'c1', label: 'Front' }],
      mics: [{ id: 'm1', label: 'Headset' }],
      speakers: [{ id: 's1', label: 'Speakers' }],
    });
  });

  it('numbers devices that have no label', () => {
    const lists = groupDevices(
      [
        { deviceId: 'a', kind: 'videoinput', label: '' },
        { deviceId: 'b', kind: 'videoinput', label: '' },
      ],
      unnamed,
    );
    expect(lists.cameras.map((c) => c.label)).toEqual(['camera 1', 'camera 2']);
  });
});

describe('resolveDevice', () => {
  const options = [
    { id: 'a', label: 'A' },
    { id: 'b', label: 'B' },
  ];
  it('keeps the wanted device while it exists', () => {
    expect(resolveDevice(options, 'b', 'a')).toBe('b');
  });
  it('falls back to the device in use, then to the first', () => {
    expect(resolveDevice(options, 'gone', 'b')).toBe('b');
    expect(resolveDevice(options, 'gone', 'also gone')).toBe('a');
    expect(resolveDevice(options, null)).toBe('a');
  });
  it('is null without devices', () => {
    expect(resolveDevice([], 'a', 'a')).toBeNull();
  });
});

describe('constraints', () => {
  it('ask for the chosen device exactly', () => {
    expect(audioConstraints('m1')).toEqual({ deviceId: { exact: 'm1' } });
    expect(videoConstraints('c1')).toMatchObject({ deviceId: { exact: 'c1' }, width: { ideal: 1280 } });
  });
  it('leave the choice to the browser without an id', () => {
    expect(audioConstraints(null)).toBe(true);
    expect(videoConstraints(null)).not.toHaveProperty('deviceId');
  });
});

describe('classifyMediaError', () => {
  it('maps getUserMedia errors to what the user can do about them', () => {
    expect(classifyMediaError(new DOMException('x', 'NotAllowedError'))).toBe('denied');
    expect(classifyMediaError(new DOMException('x', 'NotFoundError'))).toBe('missing');
    expect(classifyMediaError(new DOMException('x', 'OverconstrainedError'))).toBe('missing');
    expect(classifyMediaError(new DOMException('x', 'NotReadableError'))).toBe('busy');
    expect(classifyMediaError(new Error('boom'))).toBe('failed');
    expect(classifyMediaError('weird')).toBe('failed');
  });
});

describe('parseChoice', () => {
  it('round-trips a stored choice', () => {
    const choice = { camera: false, mic: true, cameraId: 'c', micId: null, speakerId: 's' };
    expect(parseChoice(JSON.stringify(choice))).toEqual(choice);
  });
  it('ignores malformed storage', () => {
    expect(parseChoice(null)).toEqual(DEFAULT_CHOICE);
    expect(parseChoice('{not json')).toEqual(DEFAULT_CHOICE);
    expect(parseChoice(JSON.stringify({ camera: 'yes', micId: 7, cameraId: '' }))).toEqual(DEFAULT_CHOICE);
  });
});
