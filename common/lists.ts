// Lists in messages and help text.

/** "a", "a or b", "a, b or c". */
export function alternatives(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}` : (items[0] ?? '');
}
