# L-py-3: the Lambda guide's python-context.md example. The doc's code, but it returns the values it
# prints (the doc returns None) so that a test can read them from the answer.
import time

def lambda_handler(event, context):
    print("Lambda function ARN:", context.invoked_function_arn)
    print("CloudWatch log stream name:", context.log_stream_name)
    print("CloudWatch log group name:",  context.log_group_name)
    print("Lambda Request ID:", context.aws_request_id)
    print("Lambda function memory limits in MB:", context.memory_limit_in_mb)
    # We have added a 1 second delay so you can see the time remaining in get_remaining_time_in_millis.
    time.sleep(1)
    print("Lambda time remaining in MS:", context.get_remaining_time_in_millis())
    return {  # added for the test
        "invoked_function_arn": context.invoked_function_arn,
        "log_stream_name": context.log_stream_name,
        "log_group_name": context.log_group_name,
        "aws_request_id": context.aws_request_id,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
    }
