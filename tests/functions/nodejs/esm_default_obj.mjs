// An ES module whose default export is an object holding the handler.
export default {
  main(event) {
    return { style: 'esm default object', data: event.data ?? null };
  },
};
