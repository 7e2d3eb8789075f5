'use strict';
// FUNC_SIGNATURE=fission: fission/environments nodejs/test/test-case-3/wordCount.js, re-created:
// the words of the body as Fission's parsers leave it (text/* a string; a form an object whose
// keys are the words), answered as a JSON string with Content-Type application/json.

module.exports = async (context) => {
  let text = '';
  const body = context.request.body;
  if (typeof body === 'string') text = body;
  else if (body !== null && typeof body === 'object') text = Object.keys(body).join(' ');
  const words = text.split(' ').filter((word) => word.length > 0);
  return {
    status: 200,
    body: JSON.stringify({ wordCount: words.length, words }),
    headers: { 'Content-Type': 'application/json' },
  };
};
