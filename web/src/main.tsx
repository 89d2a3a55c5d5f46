/**
 * Entry point: picks the language, then renders the app into #root.
 */

import { render } from 'preact';
import { initLang } from './i18n';
import { App } from './ui/App';

initLang();
const root = document.getElementById('root');
if (root) render(<App />, root);
