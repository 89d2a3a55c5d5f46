/**
 * A chat message's text with its web addresses as links. Links open in a new tab without
 * giving the other site our page (`noopener`) or where the click came from (`noreferrer`).
 */

import { linkify } from '../linkify';
import './features.css';

export function ChatText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((segment, i) =>
        segment.kind === 'link' ? (
          <a key={i} class="chat-link" href={segment.href} target="_blank" rel="noopener noreferrer">
            {segment.text}
          </a>
        ) : (
          segment.text
        ),
      )}
    </>
  );
}
