/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** What a job run's action is waiting for. */
export type ActionStatus =
  /** With its approver (seed `approval`). */
  | 'APPROVAL'
  /** Cancelled (seed `cancelled`). */
  | 'CANCELLED'
  /** Done (seed `complete`). */
  | 'COMPLETE'
  /** Returned by the approver (seed `returned`). */
  | 'RETURNED'
  /** With its assignee or signer (seed `sent`). */
  | 'SENT'
  /** Skipped by the manager (seed `skipped`). */
  | 'SKIPPED'
  /** Not sent yet (seed `waiting`). */
  | 'WAITING';

/** How a job run changed in your inbox. */
export type InboxChangeKind =
  /** It now waits for you. */
  | 'ENTERED'
  /** It no longer waits for you (done, returned, cancelled, reassigned). */
  | 'LEFT'
  /** It still waits for you and changed (for example its arguments or due date). */
  | 'UPDATED';

/** The action a job performs; it decides the job's arguments. */
export type JobAction =
  /** A certification with signer and approver steps (seed `certification`). */
  | 'CERTIFICATION'
  /** Generated: one approver of a step (seed `certificationApproverGenerated`). */
  | 'CERTIFICATION_APPROVER_GENERATED'
  /** Generated: an approver who approves by itself when no signer reported an exception (seed `certificationConditionalApproverGenerated`). */
  | 'CERTIFICATION_CONDITIONAL_APPROVER_GENERATED'
  /** Generated: completes the certification after its approver steps (seed `certificationPhaseFinalizerGenerated`). */
  | 'CERTIFICATION_PHASE_FINALIZER_GENERATED'
  /** Generated: one signer of a step (seed `certificationSignerGenerated`). */
  | 'CERTIFICATION_SIGNER_GENERATED'
  /** A request for content in a document section (seed `contentRequest`). */
  | 'CONTENT_REQUEST'
  /** A task sent to an assignee, optionally approved (seed `sendTask`). */
  | 'SEND_TASK';

/** The general execution status of a run, group run or job run. */
export type RunStatus =
  /** Cancelled (seed `cancelled`). */
  | 'CANCELLED'
  /** Being cancelled (seed `cancelling`). */
  | 'CANCELLING'
  /** Done (seed `complete`). */
  | 'COMPLETE'
  /** Cannot start: a person is not an active user (seed `error`). */
  | 'ERROR'
  /** Held by a job run in error below (seed `errorHold`). */
  | 'ERROR_HOLD'
  /** Started and not settled (seed `running`). */
  | 'RUNNING'
  /** Not started (seed `waiting`). */
  | 'WAITING';

/** What a token may do. */
export type Scope =
  /** Queries, validation and subscriptions. */
  | 'READ'
  /** Mutations. */
  | 'WRITE';

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { scopes: Array<Scope>, user: { id: string, name: string, email: string }, workspace: { id: string, name: string } } };

export type ProcessesQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
  search?: string | null | undefined;
}>;


export type ProcessesQuery = { processes: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, dueDate: string | null, modified: { dateTime: string, user: { id: string, name: string } }, run: { id: string, status: RunStatus, manager: { id: string, name: string } } | null } }> } };

export type ProcessTreeQueryVariables = Exact<{
  id: string | number;
}>;


export type ProcessTreeQuery = { process: { id: string, name: string, dueDate: string | null, created: { dateTime: string, user: { id: string, name: string } }, nodes: Array<
      | { __typename: 'ProcessGroup', id: string, name: string, parentId: string | null, ordinal: number, parallel: boolean }
      | { __typename: 'ProcessJob', id: string, name: string, parentId: string | null, ordinal: number, action: JobAction, arguments:
          | { __typename: 'CertificationArgs', dueDate: string | null, signerSteps: Array<{ members: Array<{ id: string, name: string } | null> }>, approverSteps: Array<{ members: Array<{ id: string, name: string } | null> }> }
          | { __typename: 'ContentRequestArgs', dueDate: string | null, assigneeUser: { id: string, name: string } | null, approverUser: { id: string, name: string } | null }
          | { __typename: 'GeneratedCertificationArgs', person: { id: string, name: string } | null }
          | { __typename: 'SendTaskArgs', dueDate: string | null, assigneeUser: { id: string, name: string } | null, approverUser: { id: string, name: string } | null }
         }
    > } | null };

export type RunStartMutationVariables = Exact<{
  processId: string | number;
}>;


export type RunStartMutation = { runStart: { errors: Array<{ code: string, message: string }>, run: { id: string } | null } };

export type InboxJobRunFragment = { id: string, name: string, actionStatus: ActionStatus, dueDate: string | null, overdue: boolean, revision: number, runId: string, lastComment: { comment: string | null, at: string, user: { id: string, name: string } | null } | null, run: { id: string, name: string, manager: { id: string, name: string } } | null, arguments:
    | { __typename: 'CertificationArgs' }
    | { __typename: 'ContentRequestArgs', instructions: string | null, assigneeUser: { id: string, name: string } | null, approverUser: { id: string, name: string } | null }
    | { __typename: 'GeneratedCertificationArgs' }
    | { __typename: 'SendTaskArgs', instructions: string | null, assigneeUser: { id: string, name: string } | null, approverUser: { id: string, name: string } | null }
   };

export type InboxQueryVariables = Exact<{ [key: string]: never; }>;


export type InboxQuery = { liveCursor: string, viewer: { jobRuns: Array<{ id: string, name: string, actionStatus: ActionStatus, dueDate: string | null, overdue: boolean, revision: number, runId: string, lastComment: { comment: string | null, at: string, user: { id: string, name: string } | null } | null, run: { id: string, name: string, manager: { id: string, name: string } } | null, arguments:
        | { __typename: 'CertificationArgs' }
        | { __typename: 'ContentRequestArgs', instructions: string | null, assigneeUser: { id: string, name: string } | null, approverUser: { id: string, name: string } | null }
        | { __typename: 'GeneratedCertificationArgs' }
        | { __typename: 'SendTaskArgs', instructions: string | null, assigneeUser: { id: string, name: string } | null, approverUser: { id: string, name: string } | null }
       }> } };

export type InboxChangesSubscriptionVariables = Exact<{
  after?: string | null | undefined;
}>;


export type InboxChangesSubscription = { inboxChanges: { cursor: string, kind: InboxChangeKind, jobRunId: string, jobRun: { id: string, name: string, actionStatus: ActionStatus, dueDate: string | null, overdue: boolean, revision: number, runId: string, lastComment: { comment: string | null, at: string, user: { id: string, name: string } | null } | null, run: { id: string, name: string, manager: { id: string, name: string } } | null, arguments:
        | { __typename: 'CertificationArgs' }
        | { __typename: 'ContentRequestArgs', instructions: string | null, assigneeUser: { id: string, name: string } | null, approverUser: { id: string, name: string } | null }
        | { __typename: 'GeneratedCertificationArgs' }
        | { __typename: 'SendTaskArgs', instructions: string | null, assigneeUser: { id: string, name: string } | null, approverUser: { id: string, name: string } | null }
       } | null } };

export type SubmitMutationVariables = Exact<{
  id: string | number;
  comment?: string | null | undefined;
  revision?: number | null | undefined;
}>;


export type SubmitMutation = { jobRunSubmit: { errors: Array<{ code: string, message: string }> } };

export type ApproveMutationVariables = Exact<{
  id: string | number;
  comment?: string | null | undefined;
  revision?: number | null | undefined;
}>;


export type ApproveMutation = { jobRunApprove: { errors: Array<{ code: string, message: string }> } };

export type ReturnMutationVariables = Exact<{
  id: string | number;
  comment: string;
  revision?: number | null | undefined;
}>;


export type ReturnMutation = { jobRunReturn: { errors: Array<{ code: string, message: string }> } };

export type RunQueryVariables = Exact<{
  id: string | number;
}>;


export type RunQuery = { processRun: { id: string, name: string, status: RunStatus, dueDate: string | null, manager: { id: string, name: string }, created: { dateTime: string }, statusCounts: Array<{ status: RunStatus, count: number }>, nodes: Array<
      | { __typename: 'GroupRun', id: string, name: string, parentId: string | null, ordinal: number, status: RunStatus }
      | { __typename: 'JobRun', id: string, name: string, parentId: string | null, ordinal: number, status: RunStatus, actionStatus: ActionStatus, dueDate: string | null, lastComment: { comment: string | null } | null, arguments:
          | { __typename: 'CertificationArgs' }
          | { __typename: 'ContentRequestArgs', assigneeUser: { id: string, name: string } | null, approverUser: { id: string, name: string } | null }
          | { __typename: 'GeneratedCertificationArgs', person: { id: string, name: string } | null }
          | { __typename: 'SendTaskArgs', assigneeUser: { id: string, name: string } | null, approverUser: { id: string, name: string } | null }
         }
    > } | null };

export type RunEventsSubscriptionVariables = Exact<{
  runId: string | number;
  after: number;
}>;


export type RunEventsSubscription = { runEvents: { sequence: number, nodeId: string, nodeKind: string, field: string, fromValue: string | null, toValue: string, at: string, comment: string | null, user: { id: string, name: string } | null } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const InboxJobRunFragmentDoc = new TypedDocumentString(`
    fragment InboxJobRun on JobRun {
  id
  name
  actionStatus
  dueDate
  overdue
  revision
  lastComment {
    comment
    at
    user {
      id
      name
    }
  }
  runId
  run {
    id
    name
    manager {
      id
      name
    }
  }
  arguments {
    __typename
    ... on SendTaskArgs {
      instructions
      assigneeUser {
        id
        name
      }
      approverUser {
        id
        name
      }
    }
    ... on ContentRequestArgs {
      instructions
      assigneeUser {
        id
        name
      }
      approverUser {
        id
        name
      }
    }
  }
}
    `, {"fragmentName":"InboxJobRun"}) as unknown as TypedDocumentString<InboxJobRunFragment, unknown>;
export const ViewerDocument = new TypedDocumentString(`
    query Viewer {
  viewer {
    user {
      id
      name
      email
    }
    workspace {
      id
      name
    }
    scopes
  }
}
    `) as unknown as TypedDocumentString<ViewerQuery, ViewerQueryVariables>;
export const ProcessesDocument = new TypedDocumentString(`
    query Processes($first: Int!, $after: String, $search: String) {
  processes(first: $first, after: $after, filter: {nameContains: $search}) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        name
        dueDate
        modified {
          dateTime
          user {
            id
            name
          }
        }
        run {
          id
          status
          manager {
            id
            name
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ProcessesQuery, ProcessesQueryVariables>;
export const ProcessTreeDocument = new TypedDocumentString(`
    query ProcessTree($id: ID!) {
  process(id: $id) {
    id
    name
    dueDate
    created {
      dateTime
      user {
        id
        name
      }
    }
    nodes {
      __typename
      ... on ProcessGroup {
        id
        name
        parentId
        ordinal
        parallel
      }
      ... on ProcessJob {
        id
        name
        parentId
        ordinal
        action
        arguments {
          __typename
          ... on SendTaskArgs {
            dueDate
            assigneeUser {
              id
              name
            }
            approverUser {
              id
              name
            }
          }
          ... on ContentRequestArgs {
            dueDate
            assigneeUser {
              id
              name
            }
            approverUser {
              id
              name
            }
          }
          ... on CertificationArgs {
            dueDate
            signerSteps {
              members {
                id
                name
              }
            }
            approverSteps {
              members {
                id
                name
              }
            }
          }
          ... on GeneratedCertificationArgs {
            person {
              id
              name
            }
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ProcessTreeQuery, ProcessTreeQueryVariables>;
export const RunStartDocument = new TypedDocumentString(`
    mutation RunStart($processId: ID!) {
  runStart(input: {processId: $processId}) {
    errors {
      code
      message
    }
    run {
      id
    }
  }
}
    `) as unknown as TypedDocumentString<RunStartMutation, RunStartMutationVariables>;
export const InboxDocument = new TypedDocumentString(`
    query Inbox {
  liveCursor
  viewer {
    jobRuns {
      ...InboxJobRun
    }
  }
}
    fragment InboxJobRun on JobRun {
  id
  name
  actionStatus
  dueDate
  overdue
  revision
  lastComment {
    comment
    at
    user {
      id
      name
    }
  }
  runId
  run {
    id
    name
    manager {
      id
      name
    }
  }
  arguments {
    __typename
    ... on SendTaskArgs {
      instructions
      assigneeUser {
        id
        name
      }
      approverUser {
        id
        name
      }
    }
    ... on ContentRequestArgs {
      instructions
      assigneeUser {
        id
        name
      }
      approverUser {
        id
        name
      }
    }
  }
}`) as unknown as TypedDocumentString<InboxQuery, InboxQueryVariables>;
export const InboxChangesDocument = new TypedDocumentString(`
    subscription InboxChanges($after: String) {
  inboxChanges(afterCursor: $after) {
    cursor
    kind
    jobRunId
    jobRun {
      ...InboxJobRun
    }
  }
}
    fragment InboxJobRun on JobRun {
  id
  name
  actionStatus
  dueDate
  overdue
  revision
  lastComment {
    comment
    at
    user {
      id
      name
    }
  }
  runId
  run {
    id
    name
    manager {
      id
      name
    }
  }
  arguments {
    __typename
    ... on SendTaskArgs {
      instructions
      assigneeUser {
        id
        name
      }
      approverUser {
        id
        name
      }
    }
    ... on ContentRequestArgs {
      instructions
      assigneeUser {
        id
        name
      }
      approverUser {
        id
        name
      }
    }
  }
}`) as unknown as TypedDocumentString<InboxChangesSubscription, InboxChangesSubscriptionVariables>;
export const SubmitDocument = new TypedDocumentString(`
    mutation Submit($id: ID!, $comment: String, $revision: Int) {
  jobRunSubmit(input: {id: $id, comment: $comment, expectedRevision: $revision}) {
    errors {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<SubmitMutation, SubmitMutationVariables>;
export const ApproveDocument = new TypedDocumentString(`
    mutation Approve($id: ID!, $comment: String, $revision: Int) {
  jobRunApprove(input: {id: $id, comment: $comment, expectedRevision: $revision}) {
    errors {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ApproveMutation, ApproveMutationVariables>;
export const ReturnDocument = new TypedDocumentString(`
    mutation Return($id: ID!, $comment: String!, $revision: Int) {
  jobRunReturn(input: {id: $id, comment: $comment, expectedRevision: $revision}) {
    errors {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<ReturnMutation, ReturnMutationVariables>;
export const RunDocument = new TypedDocumentString(`
    query Run($id: ID!) {
  processRun(id: $id) {
    id
    name
    status
    dueDate
    manager {
      id
      name
    }
    created {
      dateTime
    }
    statusCounts {
      status
      count
    }
    nodes {
      __typename
      ... on GroupRun {
        id
        name
        parentId
        ordinal
        status
      }
      ... on JobRun {
        id
        name
        parentId
        ordinal
        status
        actionStatus
        dueDate
        lastComment {
          comment
        }
        arguments {
          __typename
          ... on SendTaskArgs {
            assigneeUser {
              id
              name
            }
            approverUser {
              id
              name
            }
          }
          ... on ContentRequestArgs {
            assigneeUser {
              id
              name
            }
            approverUser {
              id
              name
            }
          }
          ... on GeneratedCertificationArgs {
            person {
              id
              name
            }
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<RunQuery, RunQueryVariables>;
export const RunEventsDocument = new TypedDocumentString(`
    subscription RunEvents($runId: ID!, $after: Int!) {
  runEvents(runId: $runId, afterSequence: $after) {
    sequence
    nodeId
    nodeKind
    field
    fromValue
    toValue
    at
    comment
    user {
      id
      name
    }
  }
}
    `) as unknown as TypedDocumentString<RunEventsSubscription, RunEventsSubscriptionVariables>;