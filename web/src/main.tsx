/**
 * Entry point: picks the language and the theme, then renders the app into #root.
 */

import { render } from 'preact';
import { initLang } from './i18n';
import { initTheme } from './theme';
import { App } from './ui/App';

initLang();
initTheme();
const root = document.getElementById('root');
if (root) render(<App />, root);
