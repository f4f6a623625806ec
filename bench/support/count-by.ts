/** How many of the items fall under each key, as "key n, key n" for a table and as an object for JSON. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): { counts: Record<string, number>; text: string } {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return {
    counts,
    text: Object.entries(counts)
      .map(([name, count]) => `${name} ${count}`)
      .join(', '),
  };
}
