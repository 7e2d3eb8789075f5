# functions-framework-python examples/cloud_run_cloud_events/main.py: an undecorated CloudEvent
# function, served with FUNCTION_SIGNATURE_TYPE=cloudevent (re-created).
def hello(cloud_event):
    print(f"Received event with ID: {cloud_event['id']} and data {cloud_event.data}")
