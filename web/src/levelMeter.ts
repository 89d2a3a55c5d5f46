/**
 * Microphone level for the lobby's meter: an AnalyserNode on the microphone track, turned
 * into a 0–100 value that moves like a VU meter (fast rise, slow fall).
 */

/** Below this level the meter shows nothing (room noise of a quiet microphone). */
export const FLOOR_DB = -60;

/** Root mean square of time-domain samples from `getFloatTimeDomainData` (−1…1). */
export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] ?? 0;
    sum += s * s;
  }
  return Math.sqrt(sum / samples.length);
}

/**
 * Maps an RMS amplitude to 0–100 on a decibel scale (FLOOR_DB … 0 dBFS), because loudness
 * is perceived logarithmically: a linear meter would barely move for normal speech.
 */
export function levelPercent(amplitude: number): number {
  if (!(amplitude > 0)) return 0;
  const db = 20 * Math.log10(Math.min(amplitude, 1));
  if (db <= FLOOR_DB) return 0;
  return Math.round(((db - FLOOR_DB) / -FLOOR_DB) * 100);
}

/** Rises at once, falls by at most `fall` per step, so short syllables remain visible. */
export function smoothLevel(previous: number, next: number, fall = 4): number {
  return next >= previous ? next : Math.max(next, previous - fall);
}

/** Runs an analyser on a stream's audio and reports the level once per animation frame. */
export class LevelMeter {
  private readonly context: AudioContext;
  private readonly buffer: Float32Array<ArrayBuffer>;
  private readonly analyser: AnalyserNode;
  private frame = 0;
  private level = 0;

  constructor(stream: MediaStream, private readonly onLevel: (percent: number) => void) {
    this.context = new AudioContext();
    const source = this.context.createMediaStreamSource(stream);
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 1024;
    this.buffer = new Float32Array(this.analyser.fftSize);
    // Analysed only, never connected to the speakers (no echo of one's own voice).
    source.connect(this.analyser);
    // The lobby opens after a click, but a reload lands here without one; resume when allowed.
    void this.context.resume().catch(() => {});
    this.tick();
  }

  private tick = (): void => {
    this.analyser.getFloatTimeDomainData(this.buffer);
    this.level = smoothLevel(this.level, levelPercent(rms(this.buffer)));
    this.onLevel(this.level);
    this.frame = requestAnimationFrame(this.tick);
  };

  close(): void {
    cancelAnimationFrame(this.frame);
    void this.context.close().catch(() => {});
  }
}
