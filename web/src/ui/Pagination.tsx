/**
 * Previous/next page of the video grid. Only the tiles of the shown page are in
 * `media.view`, so paging also changes which videos the server forwards.
 */

import { t } from '../i18n';

const Chevron = ({ direction }: { direction: 'left' | 'right' }) => (
  <svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
    <path d={direction === 'left' ? 'M15 6l-6 6 6 6' : 'M9 6l6 6-6 6'} />
  </svg>
);

function PageButton({ label, direction, disabled, onClick }: { label: string; direction: 'left' | 'right'; disabled: boolean; onClick: () => void }) {
  return (
    <button type="button" class="ctl pager-button" aria-label={label} title={label} disabled={disabled} onClick={onClick}>
      <Chevron direction={direction} />
    </button>
  );
}

export function Pagination({ page, pageCount, onPage }: { page: number; pageCount: number; onPage: (page: number) => void }) {
  if (pageCount <= 1) return null;
  return (
    <nav class="pager" aria-label={t('layout.pages')}>
      <PageButton label={t('layout.previousPage')} direction="left" disabled={page <= 0} onClick={() => onPage(page - 1)} />
      <span class="pager-label" aria-live="polite" data-page={page + 1} data-page-count={pageCount}>
        {t('layout.page', { page: page + 1, count: pageCount })}
      </span>
      <PageButton label={t('layout.nextPage')} direction="right" disabled={page >= pageCount - 1} onClick={() => onPage(page + 1)} />
    </nav>
  );
}

const GridGlyph = () => (
  <svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round">
    <rect x="3" y="4" width="8" height="7" />
    <rect x="13" y="4" width="8" height="7" />
    <rect x="3" y="13" width="8" height="7" />
    <rect x="13" y="13" width="8" height="7" />
  </svg>
);

const SpeakerGlyph = () => (
  <svg class="icon" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round">
    <rect x="3" y="4" width="13" height="16" />
    <rect x="18" y="4" width="3" height="4" />
    <rect x="18" y="10" width="3" height="4" />
    <rect x="18" y="16" width="3" height="4" />
  </svg>
);

/** Switches between grid and speaker view; the button names the view it switches to. */
export function ViewToggle({ mode, onChange }: { mode: 'grid' | 'speaker'; onChange: (mode: 'grid' | 'speaker') => void }) {
  const next = mode === 'grid' ? 'speaker' : 'grid';
  const label = next === 'speaker' ? t('layout.speakerView') : t('layout.gridView');
  return (
    <button type="button" class="ctl" aria-label={label} title={label} data-view={mode} onClick={() => onChange(next)}>
      {next === 'speaker' ? <SpeakerGlyph /> : <GridGlyph />}
    </button>
  );
}
