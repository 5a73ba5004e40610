#!/usr/bin/env python3
"""Seed a moto server with an AWS estate for vtag's discovery tests, and print what was made.

Usage (every command also takes --access-key/--secret-key, for a moto that checks signatures):
  seed_moto.py estate    --endpoint URL [--regions us-east-1,eu-west-1] [--prefix NAME]
  seed_moto.py instances --endpoint URL --region R --count N [--batch B] [--prefix NAME]
  seed_moto.py iam-user  --endpoint URL --name NAME [--deny ACTION ...]
  seed_moto.py iam-role  --endpoint URL --name NAME --trust ARN [--external-id ID]

Prints one JSON document on stdout. `estate` prints the expected inventory (type, ARN id, name,
region, tags, relations) so a test can check discovery found every resource as seeded; ids come
from the create calls, never from listing, so the expectation does not depend on the lister
under test. `iam-user` creates a user with an access key (for moto's signature checking) and
prints the key; `--deny` adds an explicit Deny for the given IAM actions. `iam-role` creates an
admin role the principal `--trust` may assume (with the external id, if given) and prints its ARN.
"""
import argparse
import io
import json
import sys
import zipfile

import boto3

# moto's default account; any credentials work while moto does not check signatures.
CREDS = dict(aws_access_key_id="testing", aws_secret_access_key="testing")


def client(service, endpoint, region):
    return boto3.client(service, endpoint_url=endpoint, region_name=region, **CREDS)


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def ec2_arn(region, account, kind, ident):
    return f"arn:aws:ec2:{region}:{account}:{kind}/{ident}"


def lambda_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def seed_region(endpoint, region, account, prefix, out):
    ec2 = client("ec2", endpoint, region)
    azs = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
        for i, az in enumerate(azs)
    ]
    sg = ec2.create_security_group(GroupName=f"{prefix}-web", Description="web", VpcId=vpc)["GroupId"]

    # Instances: two tagged web servers with an extra data volume each, one without any tag.
    specs = [
        {"Name": f"{prefix}-web-1", "team": "payments", "env": "prod", "CostCenter": "cc-100"},
        {"Name": f"{prefix}-web-2", "team": "payments", "env": "staging"},
        {},
    ]
    for i, tags in enumerate(specs):
        kwargs = dict(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                      SubnetId=subnets[0], SecurityGroupIds=[sg])
        if tags:
            kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": tag_list(tags)}]
        inst = ec2.run_instances(**kwargs)["Instances"][0]
        iid = inst["InstanceId"]
        inst_arn = ec2_arn(region, account, "instance", iid)
        relations = [
            {"type": "InVPC", "target": ec2_arn(region, account, "vpc", vpc)},
            {"type": "InSubnet", "target": ec2_arn(region, account, "subnet", subnets[0])},
            {"type": "SecuredBy", "target": ec2_arn(region, account, "security-group", sg)},
        ]
        if tags:
            vol_tags = {"Name": f"{prefix}-data-{i}", "team": tags["team"]}
            vol = ec2.create_volume(AvailabilityZone=inst["Placement"]["AvailabilityZone"], Size=20,
                                    VolumeType="gp3",
                                    TagSpecifications=[{"ResourceType": "volume", "Tags": tag_list(vol_tags)}])
            vid = vol["VolumeId"]
            ec2.attach_volume(VolumeId=vid, InstanceId=iid, Device="/dev/sdf")
            relations.append({"type": "HasVolume", "target": ec2_arn(region, account, "volume", vid)})
            out.append(dict(type="ec2:volume", id=ec2_arn(region, account, "volume", vid), name=vol_tags["Name"],
                            region=region, tags=vol_tags,
                            relations=[{"type": "AttachedTo", "target": inst_arn}]))
        out.append(dict(type="ec2:instance", id=inst_arn, name=tags.get("Name", iid), region=region, tags=tags,
                        relations=relations))

    # A detached, tagged volume.
    loose_tags = {"team": "analytics", "purpose": "scratch"}
    vid = ec2.create_volume(AvailabilityZone=azs[0], Size=5,
                            TagSpecifications=[{"ResourceType": "volume", "Tags": tag_list(loose_tags)}])["VolumeId"]
    out.append(dict(type="ec2:volume", id=ec2_arn(region, account, "volume", vid), name=vid, region=region,
                    tags=loose_tags, relations=[]))

    # RDS: one tagged database.
    rds = client("rds", endpoint, region)
    db_tags = {"team": "payments", "env": "prod", "Name": f"{prefix}-ledger"}
    db = rds.create_db_instance(DBInstanceIdentifier=f"{prefix}-ledger-{region}", DBInstanceClass="db.t3.micro",
                                Engine="postgres", MasterUsername="admin", MasterUserPassword="password123",
                                AllocatedStorage=20, Tags=tag_list(db_tags))["DBInstance"]
    out.append(dict(type="rds:db", id=db["DBInstanceArn"], name=db_tags["Name"], region=region, tags=db_tags,
                    relations=[]))

    # ELBv2: a tagged application load balancer across both subnets.
    elb = client("elbv2", endpoint, region)
    lb_tags = {"team": "edge", "env": "prod"}
    lb = elb.create_load_balancer(Name=f"{prefix}-alb-{region}"[:32], Subnets=subnets, SecurityGroups=[sg],
                                  Scheme="internet-facing", Type="application", Tags=tag_list(lb_tags))
    lb = lb["LoadBalancers"][0]
    out.append(dict(type="elbv2:loadbalancer", id=lb["LoadBalancerArn"], name=lb["LoadBalancerName"], region=region,
                    tags=lb_tags, relations=[{"type": "InVPC", "target": ec2_arn(region, account, "vpc", vpc)}]))

    # Lambda: a tagged function (moto stores it without docker; it just cannot be invoked).
    iam = client("iam", endpoint, region)
    role_name = f"{prefix}-lambda-{region}"
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                       "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    fn_tags = {"team": "payments", "app": "ledger"}
    fn = client("lambda", endpoint, region).create_function(
        FunctionName=f"{prefix}-settle-{region}", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": lambda_zip()}, Tags=fn_tags)
    out.append(dict(type="lambda:function", id=fn["FunctionArn"], name=fn["FunctionName"], region=region,
                    tags=fn_tags, relations=[]))

    # S3: a tagged bucket in this region, and an untagged one (GetBucketTagging says NoSuchTagSet).
    s3 = client("s3", endpoint, region)
    for suffix, tags in (("logs", {"team": "platform", "data-class": "internal"}), ("plain", {})):
        name = f"{prefix}-{suffix}-{region}"
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags)})
        out.append(dict(type="s3:bucket", id=f"arn:aws:s3:::{name}", name=name, region=region, tags=tags,
                        relations=[]))


def estate(args):
    account = client("sts", args.endpoint, "us-east-1").get_caller_identity()["Account"]
    out = []
    for region in args.regions.split(","):
        seed_region(args.endpoint, region, account, args.prefix, out)
    json.dump({"account": account, "resources": out}, sys.stdout)


def instances(args):
    """Many tagged instances in one region, for paging (run_instances in batches)."""
    ec2 = client("ec2", args.endpoint, args.region)
    made, batch = 0, args.batch
    ids = []
    while made < args.count:
        n = min(batch, args.count - made)
        tags = [{"Key": "team", "Value": f"team-{made // batch}"}, {"Key": "fleet", "Value": args.prefix}]
        res = ec2.run_instances(ImageId="ami-12c6146b", MinCount=n, MaxCount=n, InstanceType="t3.nano",
                                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
        ids += [i["InstanceId"] for i in res["Instances"]]
        made += n
    json.dump({"region": args.region, "instanceIds": ids}, sys.stdout)


def iam_user(args):
    iam = client("iam", args.endpoint, "us-east-1")
    iam.create_user(UserName=args.name)
    statements = [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    if args.deny:
        statements.append({"Effect": "Deny", "Action": args.deny, "Resource": "*"})
    iam.put_user_policy(UserName=args.name, PolicyName="discovery",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=args.name)["AccessKey"]
    json.dump({"accessKeyId": key["AccessKeyId"], "secretAccessKey": key["SecretAccessKey"]}, sys.stdout)


def iam_role(args):
    iam = client("iam", args.endpoint, "us-east-1")
    statement = {"Effect": "Allow", "Principal": {"AWS": args.trust}, "Action": "sts:AssumeRole"}
    if args.external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": args.external_id}}
    arn = iam.create_role(RoleName=args.name, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=args.name, PolicyName="discovery", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    json.dump({"roleArn": arn}, sys.stdout)


def main():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--endpoint", required=True)
    common.add_argument("--access-key", default="testing")
    common.add_argument("--secret-key", default="testing")
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    e = sub.add_parser("estate", parents=[common])
    e.add_argument("--regions", default="us-east-1,eu-west-1")
    e.add_argument("--prefix", default="vtag")
    i = sub.add_parser("instances", parents=[common])
    i.add_argument("--region", required=True)
    i.add_argument("--count", type=int, required=True)
    i.add_argument("--prefix", default="fleet")
    i.add_argument("--batch", type=int, default=10, help="instances per run_instances call (one reservation each)")
    u = sub.add_parser("iam-user", parents=[common])
    u.add_argument("--name", required=True)
    u.add_argument("--deny", nargs="*", default=[])
    r = sub.add_parser("iam-role", parents=[common])
    r.add_argument("--name", required=True)
    r.add_argument("--trust", required=True)
    r.add_argument("--external-id")
    args = p.parse_args()
    CREDS.update(aws_access_key_id=args.access_key, aws_secret_access_key=args.secret_key)
    {"estate": estate, "instances": instances, "iam-user": iam_user, "iam-role": iam_role}[args.command](args)


if __name__ == "__main__":
    main()
