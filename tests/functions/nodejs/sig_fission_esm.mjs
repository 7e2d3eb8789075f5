// FUNC_SIGNATURE=fission: fission/environments nodejs/test/test-case-5/helloWorld.js (F-js-4, an
// ES module: there with "type": "module", here as .mjs), re-created: the default export resolves
// to {status, body, headers}.
export default async (context) => ({
  status: 200,
  body: 'hello, world from ESM! 🎉\n',
  headers: {
    'X-Module-Type': 'ESM',
    'X-Node-Version': process.version,
  },
});
