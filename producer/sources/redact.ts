/** Text with the password of any URL in it (scheme://user:password@host) replaced by ***, fit for logs. */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):[^\s/@]*@/gi, '$1:***@');
}
