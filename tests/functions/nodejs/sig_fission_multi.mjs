// FUNC_SIGNATURE=fission: fission/examples nodejs/multi-entry-esm.js (F-js-5), re-created: named
// exports picked by the entry point `file.func` (here MOD_NAME.FUNC_HANDLER), each answering a
// JSON string with its own Content-Type.
export const entry1 = async (context) => {
  const name = context.request.query?.name || 'World';
  return {
    status: 200,
    body: JSON.stringify({ message: `Hello from Entry Point 1, ${name}! 🚀`, entryPoint: 'entry1' }, null, 2),
    headers: { 'Content-Type': 'application/json', 'X-Entry-Point': 'entry1' },
  };
};

export const entry2 = async (context) => {
  const data = context.request.body || {};
  return {
    status: 200,
    body: JSON.stringify({ message: 'Greetings from Entry Point 2! 🎯', entryPoint: 'entry2', receivedData: data }, null, 2),
    headers: { 'Content-Type': 'application/json', 'X-Entry-Point': 'entry2' },
  };
};
