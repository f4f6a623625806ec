/** A latency in milliseconds (or a ratio) with as many decimals as its size deserves. */
export function formatFigure(value: number | undefined, unit: 'ms' | 'ratio' = 'ms'): string {
  if (value === undefined || Number.isNaN(value)) return '';
  if (unit === 'ratio') return value.toFixed(2);
  if (value < 1) return value.toFixed(3);
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}
