/** Words as a reader (and a budget) counts them: runs of non-space characters. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((word) => word.length > 0).length;
}
