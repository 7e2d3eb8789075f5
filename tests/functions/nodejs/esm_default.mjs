// An ES module whose default export is the handler itself (any FUNCTION name selects it).
export default function handler(event) {
  return { style: 'esm default function', data: event.data ?? null };
}
