// L-js-3: the Lambda guide's sample-apps/nodejs-apig/function/index.mjs (REST API, payload 1.0).
// Adapted: the AWS SDK call (GetAccountSettings) cannot run here, so its result is a fixed
// AccountUsage-shaped object, and the process environment is not logged (the sample logs it);
// formatResponse, formatError and serialize are the sample's code.

// Handler
export const handler = async (event, context) => {
  console.log('## CONTEXT: ' + serialize(context))
  console.log('## EVENT: ' + serialize(event))
  try {
    let accountSettings = { AccountUsage: { TotalCodeSize: 1234, FunctionCount: 1 } } // stands for the SDK call
    return formatResponse(serialize(accountSettings.AccountUsage))
  } catch(error) {
    return formatError(error)
  }
}

var formatResponse = function(body){
  var response = {
    "statusCode": 200,
    "headers": {
      "Content-Type": "application/json"
    },
    "isBase64Encoded": false,
    "multiValueHeaders": { 
      "X-Custom-Header": ["My value", "My other value"],
    },
    "body": body
  }
  return response
}

var formatError = function(error){
  var response = {
    "statusCode": error.statusCode,
    "headers": {
      "Content-Type": "text/plain",
      "x-amzn-ErrorType": error.code
    },
    "isBase64Encoded": false,
    "body": error.code + ": " + error.message
  }
  return response
}

var serialize = function(object) {
  return JSON.stringify(object, null, 2)
}
