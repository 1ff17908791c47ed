"""Prints the CloudFormation that the SAM transform makes of a template, offline.

    python scripts/sam-translate.py template.yaml > translated.json

cfn-lint checks SAM resources against SAM's own schema (its Runtime is any string, its
generated roles and routes are not there yet); linting this output as well checks the
AWS::Lambda::Function, IAM and API Gateway resources CloudFormation will really get.
Local CodeUri paths are swapped for a placeholder S3 location, as `sam package` would do;
no AWS call is made (the template names no AWS managed policy, so none is looked up).
"""

import json
import sys

import boto3
from samtranslator.parser import parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

PSEUDO_PARAMETERS = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "scim-provisioning",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/scim-provisioning/0",
    "AWS::URLSuffix": "amazonaws.com",
}


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://placeholder-bucket/function.zip"

    def no_managed_policies() -> dict:
        raise RuntimeError("the template names an AWS managed policy: resolving it needs IAM, not offline")

    translator = Translator(
        managed_policy_map=None,
        sam_parser=parser.Parser(),
        plugins=[],
        boto_session=boto3.session.Session(region_name="us-east-1"),
    )
    translated = translator.translate(
        sam_template=template,
        parameter_values=dict(PSEUDO_PARAMETERS),
        get_managed_policy_map=no_managed_policies,
    )
    json.dump(translated, sys.stdout, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml"))
