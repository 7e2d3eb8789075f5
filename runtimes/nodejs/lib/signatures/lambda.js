'use strict';
// FUNC_SIGNATURE=lambda (API Gateway HTTP API / Function URL payload 2.0) and lambda-v1 (REST API
// proxy payload 1.0), plus the Lambda runtime interface emulator's invoke endpoint
// (shared decisions 11; foreign-signatures.md §1).
// - request → arguments: the platform's event built from the HTTP request, a Lambda context, and
//   the callback(err, result) third argument;
// - result → answer: the 2.0 inference (a statusCode object is an HTTP answer, anything else
//   JSON), the 1.0 proxy response (anything malformed is a 502), or, on the invoke endpoint, the
//   JSON of the result (an error: RIE's error document).

const { randomBytes } = require('node:crypto');
const {
  TEXT, JSON_TYPE, Answer, splitUrl, bodyText, bodyOf, joinedHeaders, isThenable, isPlainObject,
  describeError, unsendable, jsonText, describe, headerIn,
} = require('./common');

const ACCOUNT_ID = '123456789012';
const INVOKE_PATH = '/2015-03-31/functions/function/invocations';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const NO_COOKIE = new Set(['cookie']);

// ---- request → arguments -------------------------------------------------------------------

/** "12/Mar/2020:19:03:58 +0000", the requestContext's time format. */
function requestTime(ms) {
  const d = new Date(ms);
  const two = (n) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** domainName (the Host header) and domainPrefix/apiId (its first label). */
function domain(req) {
  const host = req.headers.host ?? '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return { domainName: host, domainPrefix: name.split('.')[0] };
}

/** The body as the event carries it: [text or base64 or undefined, isBase64Encoded]. */
function eventBody(req) {
  const body = bodyOf(req);
  if (body.length === 0) return [undefined, false];
  const text = bodyText(body, req.headers['content-type']);
  return text !== null ? [text, false] : [body.toString('base64'), true];
}

/** Query parameters: name → [values] (decoded), or null when there are none. */
function queryLists(query) {
  if (query === '') return null;
  const lists = {};
  for (const [name, value] of new URLSearchParams(query)) (lists[name] ??= []).push(value);
  return Object.keys(lists).length === 0 ? null : lists;
}

/** The payload 2.0 event of a request. */
function eventV2(req, eventId, now) {
  const [path, query] = splitUrl(req.url);
  const { domainName, domainPrefix } = domain(req);
  const event = { version: '2.0', routeKey: '$default', rawPath: path, rawQueryString: query };
  const cookies = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() !== 'cookie') continue;
    for (const part of req.rawHeaders[i + 1].split(';')) if (part.trim() !== '') cookies.push(part.trim());
  }
  if (cookies.length > 0) event.cookies = cookies;
  event.headers = joinedHeaders(req.rawHeaders, ',', NO_COOKIE);
  const lists = queryLists(query);
  if (lists !== null) {
    event.queryStringParameters = {};
    for (const name of Object.keys(lists)) event.queryStringParameters[name] = lists[name].join(',');
  }
  event.requestContext = {
    accountId: ACCOUNT_ID,
    apiId: domainPrefix,
    domainName,
    domainPrefix,
    http: {
      method: req.method,
      path,
      protocol: `HTTP/${req.httpVersion}`,
      sourceIp: req.socket?.remoteAddress ?? '',
      userAgent: req.headers['user-agent'] ?? '',
    },
    requestId: eventId,
    routeKey: '$default',
    stage: '$default',
    time: requestTime(now),
    timeEpoch: now,
  };
  const [body, isBase64Encoded] = eventBody(req);
  if (body !== undefined) event.body = body;
  event.isBase64Encoded = isBase64Encoded;
  return event;
}

/** The payload 1.0 (REST API proxy) event of a request. */
function eventV1(req, eventId, now) {
  const [path, query] = splitUrl(req.url);
  const { domainName, domainPrefix } = domain(req);
  const headers = {};
  const multiValueHeaders = {};
  const names = new Map(); // lower-case → the name as first sent (1.0 keeps the client's case)
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const lower = req.rawHeaders[i].toLowerCase();
    if (!names.has(lower)) names.set(lower, req.rawHeaders[i]);
    const name = names.get(lower);
    headers[name] = req.rawHeaders[i + 1]; // the last value, as API Gateway's `headers`
    (multiValueHeaders[name] ??= []).push(req.rawHeaders[i + 1]);
  }
  const lists = queryLists(query);
  let single = null;
  if (lists !== null) {
    single = {};
    for (const name of Object.keys(lists)) single[name] = lists[name][lists[name].length - 1];
  }
  const sourceIp = req.socket?.remoteAddress ?? '';
  const userAgent = req.headers['user-agent'] ?? '';
  const [body, isBase64Encoded] = eventBody(req);
  // A `/{proxy+}` resource (the proxy integration a function behind a REST API has), as Python.
  const resource = path === '/' ? '/' : '/{proxy+}';
  return {
    version: '1.0',
    resource,
    path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: single,
    multiValueQueryStringParameters: lists,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: domainPrefix,
      domainName,
      domainPrefix,
      extendedRequestId: eventId,
      httpMethod: req.method,
      identity: {
        accessKey: null,
        accountId: null,
        caller: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent,
        userArn: null,
      },
      path,
      protocol: `HTTP/${req.httpVersion}`,
      requestId: eventId,
      requestTime: requestTime(now),
      requestTimeEpoch: now,
      resourceId: null,
      resourcePath: resource,
      stage: '$default',
    },
    pathParameters: path === '/' ? null : { proxy: path.slice(1) },
    stageVariables: null,
    body: body ?? null,
    isBase64Encoded,
  };
}

/** FUNC_MEMORY_LIMIT (a Kubernetes quantity) in MiB, as a string; "128" when unset. */
function memoryInMb(limit) {
  if (limit === null || limit === undefined) return '128';
  const match = /^\s*([0-9.]+)\s*([KMGTPE]i?|[kmgtpe]|)\s*$/.exec(String(limit));
  if (match === null) return '128';
  const powers = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  const bytes = Number(match[1]) * (powers[match[2]] ?? 1);
  return String(Math.max(1, Math.floor(bytes / 2 ** 20)));
}

// One log stream per process, as a Lambda execution environment has.
const STREAM_ID = randomBytes(16).toString('hex');

/**
 * The Lambda context (Node.js runtime's names) of a call; `settle` gets [ok, value] from
 * succeed/fail/done. The callback answers at once: it does not wait for an empty event loop
 * (callbackWaitsForEmptyEventLoop is accepted and has no effect).
 */
function lambdaContext(context, eventId, settle) {
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME || context['function-name'];
  const region = process.env.AWS_REGION || 'us-east-1';
  const deadlineMs = context.deadline * 1000;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}`,
    memoryLimitInMB: memoryInMb(context['memory-limit']),
    awsRequestId: eventId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `${day}/[$LATEST]${STREAM_ID}`,
    identity: undefined,
    clientContext: undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, Math.round(deadlineMs - Date.now())),
    succeed: (value) => settle(true, value),
    fail: (err) => settle(false, err),
    done: (err, value) => (err !== undefined && err !== null ? settle(false, err) : settle(true, value)),
  };
}

/**
 * Calls the handler as the Lambda Node.js runtime does: handler(event, context, callback). The
 * first of callback / succeed / fail / done / the returned promise counts. A handler that returns
 * undefined (not a promise) is answered when it calls back, or at the deadline; one that returns
 * another value is answered with it (an extension: Lambda ignores it).
 * Resolves to [ok, value or error].
 */
function call(handler, event, context, eventId) {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (ok, value) => {
      if (settled) return;
      settled = true;
      resolve([ok, value]);
    };
    const ctx = lambdaContext(context, eventId, settle);
    let result;
    try {
      result = handler(event, ctx, ctx.done);
    } catch (err) {
      settle(false, err);
      return;
    }
    if (isThenable(result)) result.then((value) => settle(true, value), (err) => settle(false, err));
    else if (result !== undefined) settle(true, result);
  });
}

// ---- result → answer -----------------------------------------------------------------------

/** Header values an answer may carry: strings, numbers, booleans (as text). */
function isHeaderValue(value) {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** A result as JSON, 200 application/json (2.0 inference; the invoke endpoint). */
function jsonAnswer(value, eventId, extra = []) {
  const text = jsonText(value === undefined ? null : value);
  if (text instanceof Error) return unsendable(eventId, text.message);
  return new Answer(200, ['Content-Type', JSON_TYPE, ...extra], text);
}

/**
 * Payload 2.0: an object with `statusCode` is an HTTP answer (`headers`, `cookies`, `body`,
 * `isBase64Encoded`); anything else is 200 application/json of the value (urls-invocation.md).
 */
function answerV2(value, eventId) {
  if (!isPlainObject(value) || !Object.hasOwn(value, 'statusCode')) return jsonAnswer(value, eventId);
  const { statusCode, headers, cookies, body, isBase64Encoded } = value;
  if (!Number.isInteger(statusCode)) return unsendable(eventId, `statusCode must be an integer, got ${describe(statusCode)}`);
  const out = [];
  if (headers !== undefined && headers !== null) {
    if (!isPlainObject(headers)) return unsendable(eventId, `headers must be an object, got ${describe(headers)}`);
    for (const name of Object.keys(headers)) {
      const item = headers[name];
      if (!isHeaderValue(item)) return unsendable(eventId, `header ${JSON.stringify(name)} must be a string, got ${describe(item)}`);
      out.push(name, String(item));
    }
  }
  if (cookies !== undefined && cookies !== null) {
    if (!Array.isArray(cookies) || !cookies.every((c) => typeof c === 'string')) {
      return unsendable(eventId, 'cookies must be a list of strings');
    }
    if (cookies.length > 0) out.push('Set-Cookie', cookies);
  }
  if (body !== undefined && body !== null && typeof body !== 'string') {
    return unsendable(eventId, `body must be a string, got ${describe(body)}`);
  }
  if (headerIn(headers, 'content-type') === undefined) out.push('Content-Type', JSON_TYPE);
  const text = body ?? '';
  return new Answer(statusCode, out, isBase64Encoded === true ? Buffer.from(text, 'base64') : text);
}

/** The fields of a payload 1.0 proxy response: any other makes it malformed, as in Python. */
const V1_KEYS = new Set(['statusCode', 'headers', 'multiValueHeaders', 'body', 'isBase64Encoded']);

/** Why a payload 1.0 proxy response is malformed, or null. */
function malformedV1(value) {
  if (!isPlainObject(value)) return `the result is ${describe(value)}, not an object`;
  const unexpected = Object.keys(value).find((key) => !V1_KEYS.has(key));
  if (unexpected !== undefined) return `unexpected field ${JSON.stringify(unexpected)}`;
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = value;
  if (!Number.isInteger(statusCode)) return `statusCode must be an integer, got ${describe(statusCode)}`;
  if (headers !== undefined && headers !== null) {
    if (!isPlainObject(headers)) return `headers must be an object, got ${describe(headers)}`;
    for (const name of Object.keys(headers)) {
      if (!isHeaderValue(headers[name])) return `header ${JSON.stringify(name)} must be a string, got ${describe(headers[name])}`;
    }
  }
  if (multiValueHeaders !== undefined && multiValueHeaders !== null) {
    if (!isPlainObject(multiValueHeaders)) return `multiValueHeaders must be an object, got ${describe(multiValueHeaders)}`;
    for (const name of Object.keys(multiValueHeaders)) {
      const list = multiValueHeaders[name];
      if (!Array.isArray(list) || !list.every(isHeaderValue)) return `multiValueHeaders ${JSON.stringify(name)} must be a list of strings`;
    }
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return `body must be a string or null, got ${describe(body)}`;
  if (isBase64Encoded !== undefined && typeof isBase64Encoded !== 'boolean') return `isBase64Encoded must be a boolean, got ${describe(isBase64Encoded)}`;
  return null;
}

/**
 * Payload 1.0: the proxy response. Anything malformed is API Gateway's 502, counted as a failure
 * with the reason logged.
 */
function answerV1(value, eventId) {
  const reason = malformedV1(value);
  if (reason !== null) {
    return new Answer(502, ['Content-Type', TEXT], `Bad Gateway: malformed Lambda proxy response (event-id: ${eventId})`,
      `malformed Lambda proxy response: ${reason}`);
  }
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = value;
  const merged = new Map(); // lower-case name → [name, [values]]
  for (const name of Object.keys(multiValueHeaders ?? {})) merged.set(name.toLowerCase(), [name, multiValueHeaders[name].map(String)]);
  for (const name of Object.keys(headers ?? {})) {
    if (!merged.has(name.toLowerCase())) merged.set(name.toLowerCase(), [name, [String(headers[name])]]);
  }
  const out = [];
  for (const [name, values] of merged.values()) out.push(name, values.length === 1 ? values[0] : values);
  if (!merged.has('content-type')) out.push('Content-Type', JSON_TYPE);
  const text = body ?? '';
  return new Answer(statusCode, out, isBase64Encoded === true ? Buffer.from(text, 'base64') : text);
}

/** The invoke endpoint's error document (RIE), counted as a failure. */
function errorDocument(err, requestId) {
  const isError = err instanceof Error;
  let errorType = typeof err;
  if (isError) errorType = err.name !== 'Error' ? err.name : (err.constructor?.name || 'Error');
  const stack = isError && typeof err.stack === 'string' ? err.stack.split('\n').slice(1).map((line) => line.trim()) : [];
  const doc = { errorMessage: isError ? err.message : String(err), errorType, requestId, stackTrace: stack };
  return new Answer(200, ['Content-Type', JSON_TYPE, 'X-Amz-Function-Error', 'Unhandled'], JSON.stringify(doc), describeError(err));
}

// ---- the wrapper ---------------------------------------------------------------------------

function wrapper(eventOf, answerOf) {
  return (handler) => (event, context) => {
    const req = event.extensions.request;
    const eventId = event['event-id'];
    const now = Date.now();
    let lambdaEvent;
    const invoked = req.method === 'POST' && splitUrl(req.url)[0] === INVOKE_PATH;
    if (invoked) {
      const body = bodyOf(req);
      try {
        lambdaEvent = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch (err) {
        return new Answer(400, ['Content-Type', TEXT], `Bad Request: malformed JSON body: ${err.message}`);
      }
    } else {
      lambdaEvent = eventOf(req, eventId, now);
    }
    return call(handler, lambdaEvent, context, eventId).then(([ok, value]) => {
      if (invoked) return ok ? jsonAnswer(value, eventId) : errorDocument(value, eventId);
      if (!ok) throw value; // the runtime's 500 (CONTRACT §5)
      return answerOf(value, eventId);
    });
  };
}

module.exports = {
  v2: { wrap: wrapper(eventV2, answerV2) },
  v1: { wrap: wrapper(eventV1, answerV1) },
  // for the unit tests
  eventV2, eventV1, answerV2, answerV1, errorDocument, memoryInMb, requestTime, call, INVOKE_PATH,
};
