/**
 * The pre-join lobby, shared by `/m/{id}` and `/j/{code}`: camera preview, microphone level,
 * device selection, camera/microphone on or off, and the page's own fields (display name,
 * password) passed in as children. Camera and microphone are captured separately, so a
 * refused or missing camera does not take the microphone with it, and each gets its own
 * message. Everything captured here is released when the lobby goes away; the meeting
 * captures the chosen devices again (deviceId exact) once it is admitted.
 */

import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  audioConstraints,
  canChooseSpeaker,
  classifyMediaError,
  groupDevices,
  loadChoice,
  resolveDevice,
  saveChoice,
  videoConstraints,
  type DeviceLists,
  type MediaChoice,
  type MediaProblem,
} from '../devices';
import { t, type MessageKey } from '../i18n';
import { LevelMeter } from '../levelMeter';
import { CamIcon, CamOffIcon, MicIcon, MicOffIcon } from './icons';

const cameraProblem: Record<MediaProblem, MessageKey> = {
  denied: 'lobby.cameraDenied',
  missing: 'lobby.cameraMissing',
  busy: 'lobby.cameraBusy',
  failed: 'lobby.cameraFailed',
};
const micProblem: Record<MediaProblem, MessageKey> = {
  denied: 'lobby.micDenied',
  missing: 'lobby.micMissing',
  busy: 'lobby.micBusy',
  failed: 'lobby.micFailed',
};

function stop(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/**
 * Captures one kind of device while `enabled`, again whenever the device changes. A stale
 * remembered id (device unplugged) falls back to the browser's default device once.
 */
function useCapture(kind: 'audio' | 'video', enabled: boolean, deviceId: string | null, onStarted: () => void) {
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [problem, setProblem] = useState<MediaProblem | null>(null);
  // The remembered id that the browser no longer knows; the default device stands in for it.
  const [staleId, setStaleId] = useState<string | null>(null);
  useEffect(() => {
    setProblem(null);
    if (!enabled) return;
    if (!navigator.mediaDevices?.getUserMedia) {
      // Only secure contexts (https or localhost) have mediaDevices.
      setProblem('failed');
      return;
    }
    const id = deviceId === staleId ? null : deviceId;
    let captured: MediaStream | null = null;
    let cancelled = false;
    navigator.mediaDevices
      .getUserMedia(kind === 'audio' ? { audio: audioConstraints(id) } : { video: videoConstraints(id) })
      .then(
        (s) => {
          if (cancelled) return stop(s);
          captured = s;
          setStream(s);
          onStarted();
        },
        (e: unknown) => {
          if (cancelled) return;
          const p = classifyMediaError(e);
          if (p === 'missing' && id) setStaleId(id);
          else setProblem(p);
        },
      );
    return () => {
      cancelled = true;
      stop(captured);
      setStream(null);
    };
  }, [kind, enabled, deviceId, staleId]);
  return { stream, problem };
}

export function Lobby({
  heading,
  children,
  error,
  busy,
  onJoin,
}: {
  heading: string;
  /** Page-specific fields (display name, password), shown above the join button. */
  children?: ComponentChildren;
  error: string | null;
  busy: boolean;
  onJoin: (choice: MediaChoice) => void;
}) {
  const [choice, setChoice] = useState<MediaChoice>(loadChoice);
  const [lists, setLists] = useState<DeviceLists>({ cameras: [], mics: [], speakers: [] });
  const videoRef = useRef<HTMLVideoElement>(null);
  const meterRef = useRef<HTMLMeterElement>(null);

  // Labels and ids are only revealed once a capture was allowed, so list again after each start.
  const refreshDevices = useCallback(() => {
    void navigator.mediaDevices
      ?.enumerateDevices()
      .then((devices) =>
        setLists(
          groupDevices(devices, (kind, n) =>
            t(kind === 'camera' ? 'lobby.unnamedCamera' : kind === 'mic' ? 'lobby.unnamedMic' : 'lobby.unnamedSpeaker', { n }),
          ),
        ),
      )
      .catch(() => {});
  }, []);
  useEffect(() => {
    refreshDevices();
    navigator.mediaDevices?.addEventListener('devicechange', refreshDevices);
    return () => navigator.mediaDevices?.removeEventListener('devicechange', refreshDevices);
  }, [refreshDevices]);

  const video = useCapture('video', choice.camera, choice.cameraId, refreshDevices);
  const audio = useCapture('audio', choice.mic, choice.micId, refreshDevices);

  useEffect(() => {
    const el = videoRef.current;
    if (!el) return;
    el.srcObject = video.stream;
    if (video.stream) el.play().catch(() => {});
  }, [video.stream]);

  useEffect(() => {
    const meter = meterRef.current;
    if (!audio.stream || !meter) return;
    // The level is written straight into the <meter>: re-rendering the lobby 60 times a
    // second for one number would be wasted work.
    const analyser = new LevelMeter(audio.stream, (level) => {
      meter.value = level;
    });
    return () => {
      analyser.close();
      meter.value = 0;
    };
  }, [audio.stream]);

  const inUse = (stream: MediaStream | null) => stream?.getTracks()[0]?.getSettings().deviceId ?? null;
  const cameraId = resolveDevice(lists.cameras, choice.cameraId, inUse(video.stream));
  const micId = resolveDevice(lists.mics, choice.micId, inUse(audio.stream));
  const speakerId = resolveDevice(lists.speakers, choice.speakerId);

  const update = (patch: Partial<MediaChoice>) => setChoice((c) => ({ ...c, ...patch }));
  const submit = (e: Event) => {
    e.preventDefault();
    const chosen: MediaChoice = { ...choice, cameraId, micId, speakerId: canChooseSpeaker() ? speakerId : null };
    saveChoice(chosen);
    onJoin(chosen);
  };

  return (
    <form class="card lobby" onSubmit={submit} aria-labelledby="lobby-heading" data-lobby="">
      <h1 id="lobby-heading">{heading}</h1>
      <div class="lobby-body">
        <div class="lobby-preview">
          <video
            ref={videoRef}
            class="lobby-video"
            autoplay
            muted
            playsInline
            aria-label={t('lobby.preview')}
            hidden={!video.stream}
          />
          {!video.stream && (
            <p class="lobby-video-off" aria-hidden="true">
              {choice.camera ? t('app.loading') : t('lobby.cameraIsOff')}
            </p>
          )}
          <div class="lobby-toggles">
            <button
              type="button"
              class={`ctl ${choice.mic ? '' : 'ctl-off'}`}
              aria-label={choice.mic ? t('controls.mute') : t('controls.unmute')}
              title={choice.mic ? t('controls.mute') : t('controls.unmute')}
              onClick={() => update({ mic: !choice.mic })}
            >
              {choice.mic ? <MicIcon /> : <MicOffIcon />}
            </button>
            <button
              type="button"
              class={`ctl ${choice.camera ? '' : 'ctl-off'}`}
              aria-label={choice.camera ? t('controls.cameraOff') : t('controls.cameraOn')}
              title={choice.camera ? t('controls.cameraOff') : t('controls.cameraOn')}
              onClick={() => update({ camera: !choice.camera })}
            >
              {choice.camera ? <CamIcon /> : <CamOffIcon />}
            </button>
          </div>
        </div>
        <div class="lobby-settings form">
          {lists.cameras.length > 0 && (
            <div class="field">
              <label for="lobby-camera">{t('lobby.camera')}</label>
              <select
                id="lobby-camera"
                value={cameraId ?? ''}
                onChange={(e) => update({ cameraId: e.currentTarget.value || null })}
              >
                {lists.cameras.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.label}
                  </option>
                ))}
              </select>
            </div>
          )}
          {lists.mics.length > 0 && (
            <div class="field">
              <label for="lobby-mic">{t('lobby.microphone')}</label>
              <select id="lobby-mic" value={micId ?? ''} onChange={(e) => update({ micId: e.currentTarget.value || null })}>
                {lists.mics.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.label}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div class="field">
            <label for="lobby-level">{t('lobby.level')}</label>
            <meter id="lobby-level" ref={meterRef} class="level-meter" min={0} max={100} low={70} high={90} optimum={50} value={0} />
          </div>
          {canChooseSpeaker() && lists.speakers.length > 0 && (
            <div class="field">
              <label for="lobby-speaker">{t('lobby.speaker')}</label>
              <select id="lobby-speaker" value={speakerId ?? ''} onChange={(e) => update({ speakerId: e.currentTarget.value || null })}>
                {lists.speakers.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.label}
                  </option>
                ))}
              </select>
            </div>
          )}
          {(video.problem || audio.problem) && (
            <div class="lobby-problems" role="alert">
              {video.problem && <p data-problem={`camera-${video.problem}`}>{t(cameraProblem[video.problem])}</p>}
              {audio.problem && <p data-problem={`mic-${audio.problem}`}>{t(micProblem[audio.problem])}</p>}
              {(video.problem === 'denied' || audio.problem === 'denied') && <p>{t('lobby.deniedHint')}</p>}
            </div>
          )}
          {children}
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {t('join.submit')}
          </button>
        </div>
      </div>
    </form>
  );
}
