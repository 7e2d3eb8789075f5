// An ES module with a named export.
export function main(event) {
  return { style: 'esm named', data: event.data ?? null };
}
