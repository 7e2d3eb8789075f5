# L-py-2: the Lambda guide's python-handler.md "Parsing a response" (the doc's code, unchanged;
# AWS_REGION is set by the case, as Lambda sets it). The key really has a trailing space.
import os
import json

def lambda_handler(event, context):
    json_region = os.environ['AWS_REGION']
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": "application/json"
        },
        "body": json.dumps({
            "Region ": json_region
        })
    }
