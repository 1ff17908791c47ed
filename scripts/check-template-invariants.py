"""Checks what template.yaml must keep true, on the CloudFormation the SAM transform makes of it.

    python scripts/sam-translate.py template.yaml > translated.json
    local-api routes --json > routes.json
    local-api functions --json > functions.json
    python scripts/check-template-invariants.py template.yaml translated.json routes.json functions.json

Linters check that the template is well formed; this checks that it is the service's
template: its functions are the code's (`local-api functions --json`), its routes are the
code's route table (`local-api routes --json`, from shared/src/edge/routes.rs) and go to the
right functions, each function is built from its own Cargo package and binary, IAM holds only
the calls the code makes (never a Scan, never `*`), the worker takes the jobs queue's messages
within its visibility timeout, the table has the keys and index the DynamoDB engine uses and
cannot be lost with the stack.
Prints every broken rule and exits 1 if there is one.
"""

import json
import sys

from samtranslator.yaml_helper import yaml_parse

READS = {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "secretsmanager:GetSecretValue"}
WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
LOGS = {"logs:CreateLogStream", "logs:PutLogEvents"}
SECRET_WRITES = {"secretsmanager:CreateSecret", "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"}
# Announcing a job; taking the queue's messages (Lambda's poller, with the worker's role).
JOB_SEND = {"sqs:SendMessage"}
JOB_TAKE = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
ALLOWED = {
    "UsersFunction": READS | WRITES | LOGS,
    "GroupsFunction": READS | WRITES | LOGS,
    "DiscoveryFunction": READS | LOGS,
    # The admin API creates, rotates and deletes configurations' verifiers, and starts jobs.
    "ManageFunction": READS | WRITES | LOGS | SECRET_WRITES | JOB_SEND,
    # The worker does jobs: no secret, no route.
    "WorkerFunction": READS | WRITES | LOGS | JOB_SEND | JOB_TAKE,
}
# Who reads SCIM_JOBS_QUEUE_URL: whoever starts or continues jobs.
JOBS_ENV = "SCIM_JOBS_QUEUE_URL"
ENV = {"SCIM_STORE", "SCIM_TABLE_NAME", "SCIM_SECRET_PREFIX", "SCIM_PUBLIC_URL", "LOG_LEVEL"}
# The admin API's token issuer (its absence is a 401 saying what to set, not a failure).
MANAGE_ENV = {"MANAGE_ISSUER", "MANAGE_AUDIENCE", "MANAGE_JWKS", "MANAGE_JWKS_URL", "MANAGE_CONSOLE_CLIENT_ID"}

problems = []


def check(ok, message):
    if not ok:
        problems.append(message)


def as_list(value):
    return value if isinstance(value, list) else [value]


def ref_name(value):
    """The logical id a {"Ref": X} or {"Fn::GetAtt": [X, ...]} names."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def statements(resources, role_id):
    """Every IAM statement a role grants: inline, and from the template's managed policies."""
    role = resources[role_id]["Properties"]
    found = [s for p in role.get("Policies", []) for s in as_list(p["PolicyDocument"]["Statement"])]
    for arn in role.get("ManagedPolicyArns", []):
        name = ref_name(arn)
        check(name in resources, f"{role_id}: managed policy {arn} is not one of the template's own")
        if name in resources:
            found += as_list(resources[name]["Properties"]["PolicyDocument"]["Statement"])
    return found


def main(template_path, translated_path, routes_path, functions_path):
    # The route table and the functions, as the code has them.
    with open(routes_path, encoding="utf-8") as f:
        table = json.load(f)
    with open(functions_path, encoding="utf-8") as f:
        listed = json.load(f)
    binaries = {f["logical_id"]: f["function"] for f in listed}
    triggers = {f["logical_id"]: f["trigger"] for f in listed}
    check(set(ALLOWED) == set(binaries), f"this script knows {sorted(ALLOWED)}, the code has {sorted(binaries)}")
    expected_routes = {(r["method"], r["path"]): r["logical_id"] for r in table}
    check(
        {r["logical_id"] for r in table} == {k for k, t in triggers.items() if t == "http"},
        "the route table's functions are not the code's http functions",
    )
    with open(template_path, encoding="utf-8") as f:
        source = yaml_parse(f.read())["Resources"]
    with open(translated_path, encoding="utf-8") as f:
        resources = json.load(f)["Resources"]

    # Functions.
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Lambda::Function"}
    check(set(functions) == set(binaries), f"functions are {sorted(functions)}, expected {sorted(binaries)}")
    for fid, fn in functions.items():
        p = fn["Properties"]
        check(p.get("Runtime") == "provided.al2023", f"{fid}: Runtime {p.get('Runtime')}")
        check(p.get("Architectures") == ["arm64"], f"{fid}: Architectures {p.get('Architectures')}")
        check(p.get("Handler") == "bootstrap", f"{fid}: Handler {p.get('Handler')}")
        timeout = p.get("Timeout")
        if triggers.get(fid) == "http":
            check(isinstance(timeout, int) and timeout < 29, f"{fid}: Timeout must be below 29 s")
        else:
            check(isinstance(timeout, int) and timeout <= 900, f"{fid}: Timeout must be at most 900 s")
        meta = fn.get("Metadata", {})
        binary = meta.get("BuildProperties", {}).get("Binary")
        check(meta.get("BuildMethod") == "rust-cargolambda", f"{fid}: BuildMethod {meta.get('BuildMethod')}")
        check(binary == binaries.get(fid), f"{fid}: Binary {binary}, expected {binaries.get(fid)}")
        code_uri = source.get(fid, {}).get("Properties", {}).get("CodeUri")
        check(code_uri == f"functions/{binary}", f"{fid}: CodeUri {code_uri}, expected functions/{binary}")
        env = p.get("Environment", {}).get("Variables", {})
        check(ENV <= set(env), f"{fid}: environment lacks {sorted(ENV - set(env))}")
        starts_jobs = bool(ALLOWED.get(fid, set()) & JOB_SEND)
        check(
            (ref_name(env.get(JOBS_ENV)) == "JobsQueue") == starts_jobs,
            f"{fid}: {JOBS_ENV} must name JobsQueue exactly when the function starts or continues jobs",
        )
        if fid == "ManageFunction":
            check(MANAGE_ENV <= set(env), f"{fid}: environment lacks {sorted(MANAGE_ENV - set(env))}")
        else:
            check(not (MANAGE_ENV & set(env)), f"{fid}: only the manage function reads the MANAGE_* settings")
        check(env.get("SCIM_STORE") == "dynamodb", f"{fid}: SCIM_STORE {env.get('SCIM_STORE')}")
        check(ref_name(env.get("SCIM_TABLE_NAME")) == "Table", f"{fid}: SCIM_TABLE_NAME is not the table")
        logging = p.get("LoggingConfig", {})
        check(logging.get("LogFormat") == "JSON", f"{fid}: LogFormat {logging.get('LogFormat')}")
        group = ref_name(logging.get("LogGroup"))
        check(
            group in resources and "RetentionInDays" in resources[group]["Properties"],
            f"{fid}: log group {group} is not a template log group with a retention",
        )

        # IAM.
        role = ref_name(p.get("Role"))
        check(role in resources and resources[role]["Type"] == "AWS::IAM::Role", f"{fid}: no role of its own")
        if role not in resources:
            continue
        for s in statements(resources, role):
            actions = set(as_list(s["Action"]))
            check(s.get("Effect") == "Allow", f"{role}: a statement that is not Allow: {s}")
            check(actions <= ALLOWED.get(fid, set()), f"{role}: actions beyond what the code uses: {sorted(actions - ALLOWED.get(fid, set()))}")
            check(not any("*" in a for a in actions), f"{role}: wildcard action in {sorted(actions)}")
            for r in as_list(s["Resource"]):
                check(r != "*", f"{role}: Resource * for {sorted(actions)}")
                if actions & SECRET_WRITES:
                    check("/scim/*" in json.dumps(r), f"{role}: secret writes beyond the stack's verifier prefix: {r}")
                if any(a.startswith("logs:") for a in actions):
                    check(ref_name(r) == group, f"{role}: logs go to {r}, not to its own group {group}")
                if any(a.startswith("sqs:") for a in actions):
                    check(ref_name(r) == "JobsQueue", f"{role}: queue actions on {r}, not on JobsQueue")

    # The jobs queue: the worker takes it, a message outlives an invocation's work on it, and
    # failures go to a dead-letter queue.
    queue = resources.get("JobsQueue", {}).get("Properties", {})
    mappings = [v["Properties"] for v in resources.values() if v["Type"] == "AWS::Lambda::EventSourceMapping"]
    takers = [m for m in mappings if ref_name(m.get("EventSourceArn")) == "JobsQueue"]
    check(len(takers) == 1 and ref_name(takers[0].get("FunctionName")) == "WorkerFunction", "the worker alone takes JobsQueue")
    for m in takers:
        check("ReportBatchItemFailures" in m.get("FunctionResponseTypes", []), "the worker's mapping does not report failed items")
    worker_timeout = functions.get("WorkerFunction", {}).get("Properties", {}).get("Timeout", 0)
    check(
        queue.get("VisibilityTimeout", 0) >= 6 * worker_timeout,
        f"JobsQueue: VisibilityTimeout {queue.get('VisibilityTimeout')} is less than 6x the worker's timeout {worker_timeout}",
    )
    check(ref_name(queue.get("RedrivePolicy", {}).get("deadLetterTargetArn")) == "JobsDeadLetterQueue", "JobsQueue: no dead-letter queue")
    check(queue.get("SqsManagedSseEnabled") is True, "JobsQueue: not encrypted")

    # Routes.
    api = next(v for v in resources.values() if v["Type"] == "AWS::ApiGatewayV2::Api")
    paths = api["Properties"]["Body"]["paths"]
    routes = {}
    for path, methods in paths.items():
        for method, op in methods.items():
            uri = op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            target = next((f for f in binaries if "${" + f + ".Arn}" in uri), uri)
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            routes[(verb, path)] = target
    check(routes == expected_routes, f"routes are {routes}, the route table has {expected_routes}")
    stage = next(v for v in resources.values() if v["Type"] == "AWS::ApiGatewayV2::Stage")["Properties"]
    throttle = stage.get("DefaultRouteSettings", {})
    check(
        "ThrottlingBurstLimit" in throttle and "ThrottlingRateLimit" in throttle,
        "the stage has no default throttling",
    )

    # Table.
    table = resources.get("Table", {})
    tp = table.get("Properties", {})
    check(table.get("DeletionPolicy") == "Retain", "Table: DeletionPolicy is not Retain")
    check(table.get("UpdateReplacePolicy") == "Retain", "Table: UpdateReplacePolicy is not Retain")
    check(tp.get("BillingMode") == "PAY_PER_REQUEST", "Table: not on-demand")
    check(tp.get("DeletionProtectionEnabled") is True, "Table: no deletion protection")
    check(
        tp.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True,
        "Table: no point-in-time recovery",
    )
    check(tp.get("SSESpecification", {}).get("SSEEnabled") is True, "Table: SSE not enabled")
    keys = {k["AttributeName"]: k["KeyType"] for k in tp.get("KeySchema", [])}
    check(keys == {"pk": "HASH", "sk": "RANGE"}, f"Table: key schema {keys}")
    indexes = {i["IndexName"]: i for i in tp.get("GlobalSecondaryIndexes", [])}
    check(set(indexes) == {"gsi1"}, f"Table: indexes {sorted(indexes)}, expected gsi1")
    if "gsi1" in indexes:
        gsi = indexes["gsi1"]
        gkeys = {k["AttributeName"]: k["KeyType"] for k in gsi["KeySchema"]}
        check(gkeys == {"gsi1pk": "HASH", "gsi1sk": "RANGE"}, f"gsi1: key schema {gkeys}")
        check(gsi["Projection"]["ProjectionType"] == "ALL", "gsi1: projection is not ALL")
    types = {a["AttributeName"]: a["AttributeType"] for a in tp.get("AttributeDefinitions", [])}
    check(types == {"pk": "S", "sk": "S", "gsi1pk": "S", "gsi1sk": "S"}, f"Table: attribute types {types}")

    for p in problems:
        print(f"template invariant broken: {p}")
    if not problems:
        print(f"template invariants hold ({len(functions)} functions, {len(routes)} routes, table, IAM)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
