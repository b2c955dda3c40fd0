/**
 * Escaping for the viewer page: text into HTML (element bodies and quoted attributes), and JSON
 * into a <script> element (where "</script>" or "<!--" in a message must not end the element).
 */

/** Text safe in an HTML body or a double-quoted attribute. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON text safe inside <script type="application/json">: every "<" (and the JS line separators) escaped. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
